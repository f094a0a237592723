"""factory_boy factories for the data model."""

import factory

from claims.models import Claim, Claimant, Evidence
from factnlp.text import normalize_for_search
from sources.models import Article, Outlet


class ClaimantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claimant

    name = factory.Sequence(lambda n: f"Claimant {n}")
    name_normalized = factory.LazyAttribute(lambda o: normalize_for_search(o.name))


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"The minister said the bridge number {n} will open next year.")
    text_normalized = factory.LazyAttribute(lambda o: normalize_for_search(o.text))
    language = "en"
    claimant = factory.SubFactory(ClaimantFactory)
    kind = "statement"


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    name = factory.Sequence(lambda n: f"Outlet {n}")
    domain = factory.Sequence(lambda n: f"outlet{n}.example")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    body = "Some body text."
    language = "en"
    state = "done"


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    claim = factory.SubFactory(ClaimFactory)
    article = factory.SubFactory(ArticleFactory)
    stance = "confirms"
    confidence = 0.9
    excerpt = "The bridge opened on Monday."
    model_version = "test"
