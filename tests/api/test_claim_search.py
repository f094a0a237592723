"""GET /api/v1/claims/search/: the claims a free text repeats, across Arabic and English."""

import pytest
from django.core.cache import cache

from claims import engine
from claims.models import Claim

pytestmark = pytest.mark.django_db

URL = "/api/v1/claims/search/"
# The seed article's two claims, as an editor logs them (Arabic).
PUTIN = "القوات الروسية والحليفة التي أرسلت إلى كازاخستان ستغادر البلاد عند انتهاء مهمتها"
TOKAYEV = "انسحاب قوات منظمة معاهدة الأمن الجماعي من كازاخستان سيتم قريبًا"
# Written for this test: an unrelated claim that shares none of their topic.
CYCLING = "The city will build twelve kilometres of protected cycling lanes by next spring."


@pytest.fixture(autouse=True)
def fresh_index():
    engine.claim_index_cache.reset()
    cache.clear()  # the search's rate limit counts requests in the cache
    yield
    engine.claim_index_cache.reset()
    cache.clear()


@pytest.fixture
def logged_claims(editor_client, django_capture_on_commit_callbacks):
    ids = {}
    for name, text in (("putin", PUTIN), ("tokayev", TOKAYEV), ("cycling", CYCLING)):
        # Each claim is embedded (inline here) once its transaction commits, as a worker would.
        with django_capture_on_commit_callbacks(execute=True):
            response = editor_client.post("/api/v1/claims/", {"text": text, "kind": "promise"}, format="json")
        assert response.status_code == 201, response.content
        ids[name] = response.json()["id"]
    return ids


def test_an_english_text_finds_the_arabic_claim_it_repeats_first(reader_client, logged_claims):
    response = reader_client.get(
        URL, {"text": "Putin says Russian troops will leave Kazakhstan when their mission ends"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    ids = [hit["claim"]["id"] for hit in body["results"]]
    assert ids[0] == logged_claims["putin"]
    assert logged_claims["cycling"] not in ids
    assert body["count"] == len(ids)
    best = body["results"][0]
    assert best["claim"]["text"] == PUTIN and best["claim"]["status"] == "open"
    assert best["score"] >= best["semantic_score"] > 0.45
    assert best["lexical_score"] == 0  # no shared words across the two languages


def test_an_arabic_text_finds_the_english_claim_and_nothing_unrelated(reader_client, logged_claims):
    response = reader_client.get(URL, {"text": "المدينة ستبني مسارات محمية للدراجات الهوائية بطول اثني عشر كيلومترا"})

    assert response.status_code == 200, response.content
    assert [hit["claim"]["id"] for hit in response.json()["results"]] == [logged_claims["cycling"]]


def test_limit_and_min_score_bound_the_results(reader_client, logged_claims):
    text = "CSTO troops to withdraw from Kazakhstan soon"
    everything = reader_client.get(URL, {"text": text, "min_score": "0", "limit": "50"}).json()
    assert everything["count"] == 3  # every claim scores at least 0
    assert reader_client.get(URL, {"text": text, "min_score": "0", "limit": "2"}).json()["count"] == 2
    strict = reader_client.get(URL, {"text": text, "min_score": "1.9"}).json()
    assert strict == {"count": 0, "results": []}


def test_a_claim_deleted_after_the_index_loaded_is_left_out(reader_client, logged_claims):
    text = "Russian troops will leave Kazakhstan once their mission is over"
    assert reader_client.get(URL, {"text": text}).json()["results"][0]["claim"]["id"] == logged_claims["putin"]
    Claim.objects.filter(pk=logged_claims["putin"]).delete()  # the worker's index still holds it

    response = reader_client.get(URL, {"text": text})

    assert response.status_code == 200
    assert logged_claims["putin"] not in [hit["claim"]["id"] for hit in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "troops\x00leave"}, "text"),
        ({"text": "\u064e\u0650\u0640\u0640 \u200f"}, "text"),  # diacritics, tatweel, a direction mark
        ({"text": "\U0001f600 #"}, "text"),
        ({"text": "troops", "limit": "0"}, "limit"),
        ({"text": "troops", "limit": "51"}, "limit"),
        ({"text": "troops", "limit": "ten"}, "limit"),
        ({"text": "troops", "min_score": "nan"}, "min_score"),
        ({"text": "troops", "min_score": "inf"}, "min_score"),
        ({"text": "troops", "min_score": "-1"}, "min_score"),
        ({"text": "troops", "status": "open"}, "status"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(reader_client, params, field):
    response = reader_client.get(URL, params)

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_anonymous_clients_are_refused(anon_client):
    assert anon_client.get(URL, {"text": "troops"}).status_code == 401


def test_searches_are_rate_limited_per_client(reader_client, logged_claims, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "claim_search": "2/minute"},
    }
    from rest_framework.throttling import ScopedRateThrottle

    # DRF reads the rates once, when the throttle class is first used.
    previous = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        codes = [reader_client.get(URL, {"text": "troops leave"}).status_code for _ in range(3)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = previous
    assert codes == [200, 200, 429]


def test_without_a_worker_the_search_answers_503_in_time(reader_client, no_worker):
    response = reader_client.get(URL, {"text": "troops leave"})

    assert response.status_code == 503
    assert response.json()["code"] == "search_unavailable"
    assert response["Retry-After"] == "5"


# Written for this test: the English desk's wording of Putin's claim, logged separately.
PUTIN_EN = "Putin said the Russian and allied forces sent to Kazakhstan will leave once their mission is over."


def test_a_claims_similar_claims_are_its_duplicates_in_other_languages_not_itself(
    reader_client, editor_client, logged_claims, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        duplicate = editor_client.post("/api/v1/claims/", {"text": PUTIN_EN}, format="json").json()["id"]

    response = reader_client.get(f"/api/v1/claims/{logged_claims['putin']}/similar/")

    assert response.status_code == 200, response.content
    ids = [hit["claim"]["id"] for hit in response.json()["results"]]
    assert ids[0] == duplicate
    assert logged_claims["putin"] not in ids and logged_claims["cycling"] not in ids
    limited = reader_client.get(f"/api/v1/claims/{logged_claims['putin']}/similar/", {"limit": 1, "min_score": 0})
    assert [hit["claim"]["id"] for hit in limited.json()["results"]] == [duplicate]


@pytest.mark.parametrize(("params", "field"), [({"limit": "0"}, "limit"), ({"text": "x"}, "text")])
def test_similar_refuses_bad_parameters(reader_client, logged_claims, params, field):
    response = reader_client.get(f"/api/v1/claims/{logged_claims['putin']}/similar/", params)
    assert response.status_code == 400 and field in response.json()


def test_similar_to_an_unknown_claim_is_404(reader_client):
    assert reader_client.get("/api/v1/claims/999999/similar/").status_code == 404


def test_a_text_too_long_for_a_url_is_posted_as_json_by_any_role(reader_client, logged_claims):
    # About 1,700 Arabic letters: 10 kB percent-encoded, more than a request line may carry.
    text = (PUTIN + " ") * 20

    response = reader_client.post(URL, {"text": text[:2000], "limit": 3}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["claim"]["id"] == logged_claims["putin"]
    assert reader_client.post(URL, {"text": "troops", "status": "x"}, format="json").status_code == 400
    # The search's POST reads; creating a claim is still a write readers may not do.
    assert reader_client.post("/api/v1/claims/", {"text": "A claim."}, format="json").status_code == 403


def test_a_parameter_given_twice_is_refused_whatever_the_order(reader_client, logged_claims):
    for query in ("text=troops&limit=500&limit=5", "text=troops&limit=5&limit=500", "text=a&text=b"):
        response = reader_client.get(f"{URL}?{query}")
        assert response.status_code == 400, query
        name = "text" if "text=b" in query else "limit"
        assert response.json() == {name: ["Give this parameter once."]}
    similar = reader_client.get(f"/api/v1/claims/{logged_claims['putin']}/similar/?limit=0&limit=3")
    assert similar.status_code == 400 and "limit" in similar.json()
