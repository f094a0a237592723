"""Measure the article pipeline end to end against the raw embedding throughput of its model.

Seeds N claims (with their embeddings) and M articles inside one transaction
that is rolled back at the end, so the database is left as it was and no task
is queued. Prints articles/s end to end, the model's own articles/s on the
same texts (the ceiling), their ratio and the peak memory of the process.

Seeding itself costs memory a worker never spends. For a worker's footprint,
seed once with ``--seed-only`` (the claims are committed, under the claimant
"benchmark-seed"), measure in a fresh process with ``--reuse``, and remove them
with ``--clean``.

``--processes N`` measures a prefork pool (``celery worker --concurrency=N``) instead of
one process: N forked processes, each capping its BLAS threads as a pool process does,
take every Nth batch; each phase starts in all of them at once, and the model alone is
timed the same way, so the ratio compares the pool with the model on the same processes.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
import traceback

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from claims import engine
from claims.matching import articles_match
from claims.models import Claim, Claimant, ClaimEmbedding
from claims.search import claims_search
from claims.services import text_hash
from factnlp.evaluation import default_data_dir
from factnlp.matching import prepare_articles
from factnlp.stance import ArticleText
from factnlp.text import detect_language, normalize_for_search
from sources.benchmark import SYNTHETIC_CLAIM_PREFIX, article_texts, claim_texts, search_texts
from sources.choices import ArticleOrigin
from sources.models import Article

SEED_CLAIMANT = "benchmark-seed"


class _Rollback(Exception):
    pass


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Benchmark the matching pipeline (claims in DB, real embedder, index and stance model)."

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, default=10_000)
        parser.add_argument("--articles", type=int, default=200)
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            help="Articles matched together, as a busy worker takes them from the queue "
            "(default MATCH_BATCH_SIZE; 1 = each article alone, as an idle worker does)",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="Worker processes sharing the machine, as a prefork pool with --concurrency=N runs: each "
            "caps its BLAS threads as a pool process does and takes every Nth batch, and the model alone "
            "is timed the same way (needs --reuse)",
        )
        parser.add_argument(
            "--searches",
            type=int,
            default=100,
            help="Claim searches by text (CLEF 2020 tweets) timed after the pipeline, in the same processes, "
            "as the search API runs them in a worker (0: none)",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print a JSON summary as the last line")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--seed-only", action="store_true", help="Seed and commit the claims, measure nothing")
        mode.add_argument("--reuse", action="store_true", help="Measure against claims seeded before with --seed-only")
        mode.add_argument("--clean", action="store_true", help="Delete the claims --seed-only committed")

    def handle(
        self,
        *args,
        claims: int,
        articles: int,
        batch: int | None,
        processes: int,
        searches: int,
        as_json: bool,
        seed_only: bool,
        reuse: bool,
        clean: bool,
        **options,
    ):
        self._json = as_json
        if clean:
            deleted, _ = Claim.objects.filter(claimant__name=SEED_CLAIMANT).delete()
            Claimant.objects.filter(name=SEED_CLAIMANT).delete()
            self._say(f"Deleted {deleted} benchmark rows.")
            return
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if processes > 1 and not reuse:
            raise CommandError("--processes above 1 needs claims committed first: run --seed-only, then --reuse")
        self._say(f"Reading texts from {default_data_dir()} ...")
        if processes > 1:
            self._report(
                _measure_pool(
                    article_texts(articles),
                    batch=batch or settings.MATCH_BATCH_SIZE,
                    size=processes,
                    queries=search_texts(searches) if searches > 0 else [],
                )
            )
            return
        model = engine.embedder()
        if seed_only:
            with transaction.atomic():
                self._seed_claims(claim_texts(claims), model)
            return
        article_list = article_texts(articles)
        stance = engine.stance_model()
        try:
            with transaction.atomic():
                if not reuse:
                    self._seed_claims(claim_texts(claims), model)
                result = self._measure(
                    article_list,
                    model,
                    stance,
                    batch=batch or settings.MATCH_BATCH_SIZE,
                    queries=search_texts(searches) if searches > 0 else [],
                )
                raise _Rollback
        except _Rollback:
            pass
        engine.claim_index_cache.reset()
        self._report(result)

    def _say(self, message: str) -> None:
        self.stderr.write(message) if self._json else self.stdout.write(message)

    def _seed_claims(self, texts: list[str], model) -> None:
        started = time.perf_counter()
        claimant, _ = Claimant.objects.get_or_create(name=SEED_CLAIMANT, defaults={"name_normalized": SEED_CLAIMANT})
        for start in range(0, len(texts), 2000):
            batch = texts[start : start + 2000]
            # Stored as claims.services stores a claim: language detected when not given.
            rows = Claim.objects.bulk_create(
                [
                    Claim(
                        text=t, text_normalized=normalize_for_search(t), language=detect_language(t), claimant=claimant
                    )
                    for t in batch
                ]
            )
            vectors = model.embed(batch)
            ClaimEmbedding.objects.bulk_create(
                [
                    ClaimEmbedding(
                        claim=row,
                        model_name=model.name,
                        vector=engine.vector_to_bytes(v),
                        text_hash=text_hash(row.text),
                    )
                    for row, v in zip(rows, vectors, strict=True)
                ]
            )
            self._say(f"  seeded {start + len(batch)}/{len(texts)} claims")
        synthetic = sum(text.startswith(SYNTHETIC_CLAIM_PREFIX) for text in texts)
        self._say(f"Seeded {len(texts)} claims ({synthetic} synthetic) in {time.perf_counter() - started:.1f} s")

    def _measure(self, article_list, model, stance, *, batch: int, queries: list[str]) -> dict:
        engine.warm_up()  # as a worker process does when it starts
        started = time.perf_counter()
        engine.claim_index_cache.reset()
        index = engine.claim_index_cache.get(force=True)
        index_seconds = time.perf_counter() - started
        self._say(f"Indexed {len(index)} claims in {index_seconds:.1f} s")
        batches = [article_list[start : start + batch] for start in range(0, len(article_list), batch)]
        # Ceiling: the model alone, embedding exactly the sentences the pipeline
        # embeds, in the same calls (one per batch of articles).
        calls = _embedding_calls(batches, model)

        def ceiling_run() -> float:
            started = time.perf_counter()
            _embed_all(calls, model)
            return time.perf_counter() - started

        ceiling_before = ceiling_run()

        ids = _store_articles(batches)
        started = time.perf_counter()
        evidence = 0
        for chunk in ids:
            evidence += sum(articles_match(article_ids=chunk).values())
        seconds = time.perf_counter() - started
        # The model alone is timed before and after the pipeline and averaged: on a
        # shared machine its speed drifts by 10-20 % within a minute, and one run
        # on one side would lend that drift to the ratio.
        ceiling_after = ceiling_run()
        ceiling_seconds = (ceiling_before + ceiling_after) / 2
        count = len(article_list)
        search_ms = _time_searches(queries)
        return {
            "claims": len(engine.claim_index_cache.get()),
            "synthetic_claims": _synthetic_claims(),
            "articles": count,
            "batch": batch,
            "sentences": sum(len(sentences) for sentences in calls),
            "evidence_rows": evidence,
            "seconds": round(seconds, 2),
            "articles_per_s": round(count / seconds, 2),
            "ceiling_articles_per_s": round(count / ceiling_seconds, 2),
            "ratio": round(ceiling_seconds / seconds, 3),
            "ceiling_seconds_before_after": [round(ceiling_before, 2), round(ceiling_after, 2)],
            "peak_rss_mb": round(_peak_rss_mb(), 1),
            "index_load_s": round(index_seconds, 1),
            "embedder": model.name,
            "stance_model": stance.version,
            **_search_summary(search_ms),
        }

    def _report(self, result: dict) -> None:
        pool = f", {result['processes']} processes" if result.get("processes", 1) > 1 else ""
        self._say(
            f"{result['articles']} articles (batches of {result['batch']}{pool}) against {result['claims']} claims: "
            f"{result['articles_per_s']} articles/s end to end; model alone {result['ceiling_articles_per_s']} "
            f"articles/s; ratio {result['ratio']:.0%}; peak RSS {result['peak_rss_mb']} MB; "
            f"{result['evidence_rows']} evidence rows"
        )
        if self._json:
            self.stdout.write(json.dumps(result))


def _time_searches(queries: list[str]) -> list[float]:
    """Milliseconds of each claim search (query embedded, index searched), after one warm-up search."""
    if not queries:
        return []
    options = {"limit": 10, "min_score": settings.MATCH_MIN_RETRIEVAL_SCORE}
    claims_search(text=queries[0], **options)
    timings = []
    for text in queries:
        started = time.perf_counter()
        claims_search(text=text, **options)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _search_summary(timings: list[float]) -> dict:
    if not timings:
        return {}
    ordered = sorted(timings)
    return {
        "searches": len(ordered),
        "search_ms_median": round(float(np.median(ordered)), 1),
        "search_ms_p95": round(float(np.percentile(ordered, 95)), 1),
    }


def _synthetic_claims() -> int:
    """Seeded claims made up from a template because the corpora ran out (see ``claim_texts``)."""
    return Claim.objects.filter(claimant__name=SEED_CLAIMANT, text__startswith=SYNTHETIC_CLAIM_PREFIX).count()


def _embedding_calls(batches, model) -> list[list[str]]:
    """The sentences the pipeline embeds, per call (one per batch of articles), for the ceiling
    run; the model is warmed up on them."""
    null = _NullEmbedder(model)
    calls = [
        [
            sentence
            for prepared in prepare_articles(
                [ArticleText(title=t, body=b, language="en") for t, b in chunk], embedder=null
            )
            for sentence in prepared.sentences
        ]
        for chunk in batches
    ]
    if calls:
        model.embed(calls[0][:64])
    return calls


def _embed_all(calls: list[list[str]], model) -> None:
    for sentences in calls:
        model.embed(sentences)


def _store_articles(batches) -> list[list[int]]:
    """Article rows for the batches, as the API stores them (the caller's transaction rolls them back)."""
    return [
        [Article.objects.create(title=t, body=b, language="en", origin=ArticleOrigin.API).pk for t, b in chunk]
        for chunk in batches
    ]


class _NullEmbedder:
    """Lets prepare_article split texts for the ceiling run without embedding them twice."""

    def __init__(self, model):
        self.name, self.dim = model.name, model.dim

    def embed(self, texts):
        return np.zeros((len(texts), self.dim), dtype=np.float32)


def _measure_pool(article_list, *, batch: int, size: int, queries: list[str]) -> dict:
    """The benchmark in ``size`` forked processes, each taking every ``size``-th batch.

    Every phase (model alone, pipeline, model alone again) starts in all processes at
    once and lasts until the slowest finishes, so the figures are the pool's.
    """
    batches = [article_list[start : start + batch] for start in range(0, len(article_list), batch)]
    context = multiprocessing.get_context("fork")
    barrier, results, measured = context.Barrier(size), context.Queue(), context.Event()
    synthetic = _synthetic_claims()
    # As a prefork worker's main process does before starting its pool (it also closes the
    # database connection, so that each process opens its own).
    started = time.perf_counter()
    engine.load_claim_index_before_fork()
    parent_load_s = time.perf_counter() - started
    members = [
        context.Process(
            target=_pool_member,
            args=(batches[share::size], queries[share::size], size, barrier, results, measured),
            daemon=True,
        )
        for share in range(size)
    ]
    for member in members:
        member.start()
    reports = [results.get(timeout=900) for _ in members]
    # Memory while all processes are alive, shared pages counted once across them.
    pss_mb = _pss_mb("self") + sum(_pss_mb(str(member.pid)) for member in members)
    measured.set()
    for member in members:
        member.join(timeout=60)
    failures = [report["error"] for report in reports if "error" in report]
    if failures:  # the cause, rather than the others' broken barrier
        failures.sort(key=lambda failure: "BrokenBarrierError" in failure)
        raise CommandError("a benchmark process failed:\n" + failures[0])

    def slowest(phase: str) -> float:
        return max(report[phase] for report in reports)

    seconds = slowest("pipeline")
    ceiling_seconds = (slowest("ceiling_before") + slowest("ceiling_after")) / 2
    count = len(article_list)
    return {
        "claims": reports[0]["claims"],
        "synthetic_claims": synthetic,
        "articles": count,
        "batch": batch,
        "processes": size,
        "blas_threads_per_process": reports[0]["threads"],
        "sentences": sum(report["sentences"] for report in reports),
        "evidence_rows": sum(report["evidence_rows"] for report in reports),
        "seconds": round(seconds, 2),
        "articles_per_s": round(count / seconds, 2),
        "ceiling_articles_per_s": round(count / ceiling_seconds, 2),
        "ratio": round(ceiling_seconds / seconds, 3),
        "ceiling_seconds_before_after": [round(slowest("ceiling_before"), 2), round(slowest("ceiling_after"), 2)],
        "peak_rss_mb": max(report["peak_rss_mb"] for report in reports),  # one worker process
        "peak_rss_mb_all_processes": round(sum(report["peak_rss_mb"] for report in reports), 1),
        "pss_mb_all_processes": round(pss_mb, 1),  # the pool's processes and their parent, shared pages once
        "index_load_s": round(parent_load_s, 1),  # in the parent, before forking
        "index_refresh_s": max(report["index_refresh_s"] for report in reports),
        "embedder": reports[0]["embedder"],
        "stance_model": reports[0]["stance_model"],
        # Every process searching at once: the latency a search sees when the pool is busy.
        **_search_summary([ms for report in reports for ms in report["search_ms"]]),
    }


def _pss_mb(pid: str) -> float:
    """Proportional set size: each shared page counted as a fraction per process sharing it."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _pool_member(batches, queries, size: int, barrier, results, measured) -> None:
    """One process of :func:`_measure_pool`: set up as a pool process does, then time each phase."""
    try:
        report = {"threads": engine.limit_native_threads(processes=size)}
        engine.warm_up()
        model, stance = engine.embedder(), engine.stance_model()
        started = time.perf_counter()
        index = engine.claim_index_cache.get(force=True)
        report.update(
            claims=len(index),
            index_refresh_s=round(time.perf_counter() - started, 1),  # of the index inherited from the parent
            embedder=model.name,
            stance_model=stance.version,
        )
        calls = _embedding_calls(batches, model)
        report["sentences"] = sum(len(sentences) for sentences in calls)

        def timed(phase: str, run) -> None:
            barrier.wait()
            started = time.perf_counter()
            run()
            report[phase] = time.perf_counter() - started

        def pipeline() -> None:
            report["evidence_rows"] = sum(sum(articles_match(article_ids=chunk).values()) for chunk in ids)

        try:
            with transaction.atomic():
                ids = _store_articles(batches)
                timed("ceiling_before", lambda: _embed_all(calls, model))
                timed("pipeline", pipeline)
                timed("ceiling_after", lambda: _embed_all(calls, model))
                barrier.wait()
                report["search_ms"] = _time_searches(queries)
                raise _Rollback
        except _Rollback:
            pass
        report["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    except Exception:
        barrier.abort()  # the other processes stop waiting for this one
        report = {"error": traceback.format_exc()}
    finally:
        connections.close_all()
    results.put(report)
    measured.wait(timeout=300)  # stay alive until the parent has read this process's memory
