"""factory_boy factories for the domain."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import BusinessUnit, User
from breaches.models import Incident


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit

    name = factory.Sequence(lambda n: f"Unit {n}")
    code = factory.Sequence(lambda n: f"unit-{n}")
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@agency.example")
    role = User.Role.REPORTER
    business_unit = factory.SubFactory(BusinessUnitFactory)
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def assigned_units(
        self, create: bool, extracted: list[BusinessUnit] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.assigned_units.set(extracted)


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    # Year 2000, so factory references never meet the ones the services allocate.
    reference = factory.Sequence(lambda n: f"PBR-2000-{n + 1:05d}")
    kind = Incident.Kind.BREACH
    summary = factory.Sequence(lambda n: f"Letter {n} posted to the wrong address")
    aware_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=5))
    reported_at = factory.LazyFunction(timezone.now)
    channel = Incident.Channel.POST
    reporter = factory.SubFactory(UserFactory)
    business_unit = factory.LazyAttribute(lambda i: i.reporter.business_unit)

    @factory.post_generation
    def restricted_to(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.restricted_to.set(extracted)
