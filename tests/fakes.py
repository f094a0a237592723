"""Stand-ins for the trained stance model, for tests of the plumbing around it."""

from factnlp.stance import ArticleText, StanceResult


class EchoStanceModel:
    """Confirms when the article says "completed", contradicts on "postponed", else discusses.

    The point is a model whose answer the test controls, so the Django side
    (recording, idempotence, review) is tested apart from model quality.
    """

    version = "echo-test-1"

    def predict(self, claim: str, article: ArticleText, *, claim_language=None, claim_date=None) -> StanceResult:
        sentences = list(article.sentences or [article.title, article.body])
        for word, stance in (("completed", "confirms"), ("postponed", "contradicts")):
            hits = [s for s in sentences if word in s.lower()]
            if hits:
                return StanceResult(stance=stance, confidence=0.9, evidence=hits[:1])
        return StanceResult(stance="discusses", confidence=0.4, evidence=sentences[:1])
