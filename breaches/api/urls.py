from rest_framework.routers import DefaultRouter

from breaches.api.views import IncidentViewSet

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
