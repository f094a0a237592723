"""A request refused after it has written leaves no row behind."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from claims.models import Claimant
from factcheck.api.exceptions import DomainError

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class WritesThenRefuses(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request, refusal: str):
        Claimant.objects.create(name="Written before the refusal", name_normalized="written before the refusal")
        if refusal == "domain":
            raise DomainError("Refused after a write.", field="name")
        raise ValidationError({"name": ["Refused after a write."]})


urlpatterns = [path("refuse/<str:refusal>/", WritesThenRefuses.as_view())]


@pytest.mark.parametrize("refusal", ["domain", "django"])
def test_a_refusal_after_a_write_rolls_the_write_back(client, refusal):
    response = client.post(f"/refuse/{refusal}/", {}, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"name": ["Refused after a write."]}
    assert not Claimant.objects.exists()
