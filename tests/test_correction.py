"""The correction after the engine: every word in a transcript was heard, or the audio itself
prefers it. Fast: a fake scorer stands for the decoder."""

from __future__ import annotations

import ast
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from mockint.hearing.respell import CorrectionOptions, Corrector, corrected
from mockint.hearing.vocabulary import Hints
from mockint.transcript import Segment, Transcript, Word

ROOT = Path(__file__).resolve().parent.parent


def heard(text: str, unsure: Sequence[str] = (), sure: float = 0.95) -> Transcript:
    """A transcript as an engine gives it: one segment, a word every 0.3 s, each word heard
    surely but those (bare) of ``unsure``."""
    words = tuple(
        Word(w, i * 0.3, i * 0.3 + 0.3, 0.3 if w.strip(",.") in unsure else sure)
        for i, w in enumerate(text.split())
    )
    return Transcript(text, (Segment(text, 0.0, len(words) * 0.3),), words, len(words) * 0.3)


def prefers(scores: dict[str, float], asked: list[str] | None = None) -> Callable[..., list[float]]:
    """A scorer giving each text the sum of the gains of the words it holds (0: as heard)."""

    def score(texts: Sequence[str]) -> list[float]:
        if asked is not None:
            asked.extend(texts)
        return [sum(g for w, g in scores.items() if w in t) for t in texts]

    return score


def shown_as_heard(t: Transcript) -> None:
    """The contract with what shows a transcript: the text is the words as shown, and the
    words as heard are what the engine heard."""
    assert t.text == " ".join(w.text for w in t.words)
    assert all(w.heard != w.text for w in t.words)


def test_hints_are_the_questions_technical_terms_never_the_model_answers_plain_words(
    resume_bank,  # type: ignore[no-untyped-def]
) -> None:
    from mockint.hearing.vocabulary import bank_terms, bank_words, find_terms, hints_for

    terms = bank_terms(resume_bank)
    assert {"FastAPI", "Pydantic", "Celery", "Redis", "JWT", "ORM", "DRF", "CORS"} <= terms
    assert not {"The", "However", "Python's", "code", "I"} & terms
    assert find_terms(["We use celery for tasks. Then Celery retries, and Celery logs."]) == {
        "Celery"
    }  # capitalised inside sentences more often than not
    assert find_terms(["Async helps with I/O-bound work; I/O-bound code waits."]) == set()
    q = resume_bank.get("Q163")
    hints = hints_for(q, terms, bank_words(resume_bank))
    assert hints.terms[:2] == ("Celery", "Redis") and "Pydantic" not in hints.terms
    assert {"pytest", "backend", "celery"} <= hints.words
    assert set(hints.joined) == terms | set(hints.terms)
    # every hint is one of the bank's terms: no plain word of the model answer is one
    assert set(hints.terms) <= terms and "backend" in q.model_answer
    assert "backend" not in {h.lower() for h in hints.terms + hints.joined}
    # a typed seam: a frozen dataclass that travels to the model worker as it is
    assert pickle.loads(pickle.dumps(hints)) == hints and not Hints()


def test_words_spelling_a_technical_term_apart_are_joined_and_keep_what_was_heard() -> None:
    from mockint.hearing.terms import joins

    terms = {"FastAPI", "PostgreSQL", "ModelSerializer", "JWT"}
    words = ["I", "chose", "fast", "API", "with", "Postgre", "SQL."]
    assert joins(words, terms) == [(2, 2, "FastAPI"), (5, 2, "PostgreSQL.")]
    assert joins(["It", "is", "fast.", "API", "calls", "go", "out."], terms) == []
    assert joins(["a", "Fast-API", "app"], terms) == [(1, 1, "FastAPI")]
    dotted = {"self.retry", "uvicorn.workers.UvicornWorker"}
    said = [
        "I",
        "call",
        "self",
        "dot",
        "retry,",
        "run",
        "uvicorn",
        "dot",
        "workers",
        "dot",
        "uvicorn",
        "worker.",
    ]
    assert [s for _, _, s in joins(said, dotted)] == [
        "self.retry,",
        "uvicorn.workers.UvicornWorker.",
    ]
    hints = Hints(("FastAPI",), ("FastAPI", "PostgreSQL"))
    t = corrected(heard("we use fast API, and Postgre SQL."), hints)
    assert [w.text for w in t.words] == ["we", "use", "FastAPI,", "and", "PostgreSQL."]
    fast = t.words[2]
    assert fast.heard == "fast API," and (fast.start, fast.end) == (0.6, 1.2)
    assert t.segments[0].text == t.text
    shown_as_heard(t)


def test_ordinary_words_are_never_joined() -> None:
    # "a synchronous" is not made "asynchronous", nor "in correct" "incorrect": the bank's
    # plain words are no terms, and a bank's capitalised common word is not technical
    joined = ("FastAPI", "Asynchronous", "incorrect", "standup", "Framework", "Dockerfile")
    hints = Hints(("FastAPI",), joined)
    for text in ("A synchronous code is in correct.", "At the stand up, a frame work."):
        assert corrected(heard(text), hints).text == text
    # a product's name that is no English word is joined
    assert corrected(heard("the Docker file"), hints).text == "the Dockerfile"


def test_ordinary_words_that_spell_a_term_are_not_joined() -> None:
    # each piece an English word heard as one (lower case, or a capital where a sentence
    # starts): what was said, though its letters spell a term
    terms = ("TestClient", "CloudFront", "LinkedIn", "ModelSerializer", "MySQL", "Redis")
    terms += ("transaction.atomic", "FastAPI")
    hints = Hints((), terms)
    for text in (
        "I was a test client when a cloud front came in.",
        "Linked in, I was. You feel linked in.",
        "I remember Red is like the colour of my errors.",  # common words, whatever the case
        "one transaction atomic enough",
    ):
        assert corrected(heard(text), hints).text == text
    # a piece heard as no English word, as an acronym, or as a name inside a sentence is
    # the term's
    for text, shown in (
        ("the model serializer", "the ModelSerializer"),
        ("we use my SQL", "we use MySQL"),
        ("a Test Client here", "a TestClient here"),
        ("it was fast AP I then", "it was FastAPI then"),  # common words, one an acronym
        ("wrap it in transaction dot atomic.", "wrap it in transaction.atomic."),  # "dot" said
    ):
        assert corrected(heard(text), hints).text == shown


def test_a_questions_name_said_as_its_words_among_technical_terms_is_joined() -> None:
    # "search filter" sounds as SearchFilter does: among other terms heard as such it is
    # the question's name; among everyday words it stays what was said
    asked = ("SearchFilter", "OrderingFilter", "TestClient", "CloudFront", "Redis")
    joined = asked + ("Django", "CDN", "FastAPI")
    hints = Hints(asked, joined)
    for text, shown in (
        (
            "Django filter backend for exact fields, search filter for text search.",
            "Django filter backend for exact fields, SearchFilter for text search.",
        ),
        ("I put cloud front in front as the CDN.", "I put CloudFront in front as the CDN."),
        ("with FastAPI's test client, so", "with FastAPI's TestClient, so"),
    ):
        t = corrected(heard(text), hints)
        assert t.text == shown
        shown_as_heard(t)
    for text in (
        "I was a test client when a cloud front came in.",  # no technical term heard
        "Django, and red is my colour.",  # no CamelCase name said word by word
        "Django has an ordering, filter it.",  # a clause between the words
        "I use Django. I was a test client when a cloud front came in.",  # another sentence
        "I was the test client myself: I clicked through the API.",  # another clause
        "With Django the search filter's results are fine.",  # an apostrophe
        "With Django 'test client' is a phrase.",  # quoted
    ):
        assert corrected(heard(text), hints).text == text
    # a name with a function word is said as English: "is authenticated", "linked in"
    english = Hints(("IsAuthenticated", "LinkedIn"), ("IsAuthenticated", "LinkedIn", "JWT"))
    for text in ("the user is authenticated with a JWT", "The leads were linked in JWT."):
        assert corrected(heard(text), english).text == text
    # only the question's own names: the bank's others stay apart
    other = Hints(("Redis",), joined)
    text = "Django filter backend for exact fields, search filter for text search."
    assert corrected(heard(text), other).text == text


def test_an_acronym_or_a_name_heard_in_lower_case_is_still_the_terms() -> None:
    # "api", "js", "git", "java", "docker" are English words text writes capitalised
    # (acronyms, names): heard in lower case they are still the term's pieces
    terms = ("FastAPI", "NodeJS", "GitHub", "JavaScript", "Dockerfile", "PostgreSQL")
    hints = Hints((), terms)
    for text, shown in (
        ("we use fast api daily", "we use FastAPI daily"),
        ("a node js service", "a NodeJS service"),
        ("the code is on git hub.", "the code is on GitHub."),
        ("some java script here", "some JavaScript here"),
        ("Docker file first, then the app.", "Dockerfile first, then the app."),
        ('He said "hi." Docker file next.', 'He said "hi." Dockerfile next.'),
        ("we use fast-api, and postgre-sql.", "we use FastAPI, and PostgreSQL."),
    ):
        assert corrected(heard(text), hints).text == shown


def test_a_number_heard_apart_from_a_word_is_a_count_said_not_a_term() -> None:
    hints = Hints((), ("flake8", "S3", "OAuth2", "boto3", "python3"))
    for text in ("I ate a flake 8 or 9 times.", "the size S 3 of them", "a Python 3 feet long"):
        assert corrected(heard(text), hints).text == text
    # beside a name that is no word at all, or joined by a hyphen, it is the term's
    for text, shown in (
        ("we use OAuth 2 here", "we use OAuth2 here"),
        ("with Boto 3 today", "with boto3 today"),
        ("run flake-8 first", "run flake8 first"),
    ):
        assert corrected(heard(text), hints).text == shown


def test_pieces_said_apart_stay_apart_across_hyphens_and_apostrophes() -> None:
    terms = ("TestClient", "JSON", "CloudFront")
    hints = Hints((), terms)
    for text in (
        "a test-client here",  # each piece an ordinary word, across a hyphen
        "a test- client here",
        "the J's on the field",  # an apostrophe the term has not: not JSON
        'I said "hi." Cloud front came in.',  # a capital after a closing quote starts it
    ):
        assert corrected(heard(text), hints).text == text


def test_a_word_that_sounds_like_a_term_stays_as_heard_unless_the_audio_prefers_the_term() -> None:
    said = "Honestly I mostly think about my salary and the team."
    hints = Hints(("Celery", "Redis"), ("Celery", "Redis"))
    # no text-only replacement: without the audio to ask, nothing is sounded out
    assert corrected(heard(said, unsure=["salary"]), hints).text == said
    # the audio prefers what was heard, or ties: kept (no margin in the term's favour)
    for gain in (-0.01, 0.0):
        score = prefers({"Celery": gain})
        assert corrected(heard(said, unsure=["salary"]), hints, score).text == said
    # the audio prefers the term: taken, and what was heard kept beside it
    t = corrected(heard(said, unsure=["salary"]), hints, prefers({"Celery": 0.5}))
    assert t.text == said.replace("salary", "Celery")
    assert [(w.heard, w.text) for w in t.words if w.heard] == [("salary", "Celery")]
    shown_as_heard(t)
    # the correction can be turned off
    off = CorrectionOptions(sound=False)
    assert corrected(heard(said, ["salary"]), hints, prefers({"Celery": 9}), off).text == said


def test_a_word_the_bank_uses_is_not_asked_about_as_another_term() -> None:
    # "Pytest." heard unsurely, Python a term of the question: the audio's decoder may
    # score "Python." higher, but pytest is a thing the bank names; what was heard stays
    said = "It is easy to test with Pytest."
    terms = ("Python", "Redis")
    asked: list[str] = []
    score = prefers({"with Python.": 3.0}, asked)
    banked = Hints(terms, terms, frozenset({"pytest", "python", "test"}))
    assert corrected(heard(said, unsure=["Pytest"]), banked, score).text == said
    assert not [x for x in asked if "Python" in x]  # never asked about
    # the same words, the bank not naming pytest: asked, and the audio decides
    bare = Hints(terms, terms, frozenset({"python", "test"}))
    t = corrected(heard(said, unsure=["Pytest"]), bare, score)
    assert t.text == "It is easy to test with Python."
    # a term heard in lower case is still its own term's ("redis" is the bank's word Redis)
    t = corrected(heard("we cache in readies.", unsure=["readies"]), banked, prefers({"Redis": 1}))
    assert t.text == "we cache in Redis."


def test_a_word_nearer_another_thing_the_bank_names_is_not_asked_about() -> None:
    # "pidest" heard for pytest: it sounds as pytest (a word the bank uses), nearer than
    # the question's Python, so the sound is no evidence for Python, whatever the decoder
    # prefers; a rival only loosely like the words heard ("jisa", JSON) does not count
    score = prefers({"Python.": 3.0, "API": 3.0})
    words = frozenset({"pytest", "python", "json", "api"})
    hints = Hints(("Python", "API"), ("Python", "API", "JSON"), words)
    said = "It is easy to test with pidest."
    assert corrected(heard(said, unsure=["pidest"]), hints, score).text == said
    t = corrected(heard("the jisa file", unsure=["jisa"]), hints, score)
    assert t.text == "the API file"
    # with no rival in the bank, the audio decides, as before
    alone = Hints(("Python", "API"), ("Python", "API"), frozenset({"python", "api"}))
    t = corrected(heard("It is easy to test with pidest.", unsure=["pidest"]), alone, score)
    assert t.text == "It is easy to test with Python."
    # the question's own terms are no rivals of each other: the audio picks between them
    both = Hints(("Gunicorn", "Uvicorn"), ("Gunicorn", "Uvicorn"), frozenset())
    t = corrected(heard("we ran unicorn behind", ["unicorn"]), both, prefers({"Gunicorn": 1}))
    assert t.text == "we ran Gunicorn behind"


def test_a_term_is_taken_only_where_the_audio_prefers_it_to_the_banks_other_readings() -> None:
    # "pitus mock" heard where pytest-mock was said: the words sound as Python (the
    # question's term) but nearer as pytest-mock, another thing the bank names. The audio
    # is asked about both, and the term is taken only where it wins over the rival too.
    joined = ("Python", "pytest", "pytest-mock")
    hints = Hints(("Python",), joined, frozenset({"python", "pytest", "mock"}))
    said = "I patch with pitus mock in tests."
    asked: list[str] = []
    t = corrected(heard(said, ["pitus"]), hints, prefers({"Python": 1.0, "pytest": 2.0}, asked))
    assert t.text == said and any("pytest-mock" in a for a in asked)
    t = corrected(heard(said, ["pitus"]), hints, prefers({"Python": 2.0, "pytest": 1.0}))
    assert t.text == "I patch with Python mock in tests."
    # off, the audio weighs the term against what was heard alone
    off = CorrectionOptions(rivals=False)
    t = corrected(heard(said, ["pitus"]), hints, prefers({"Python": 1.0, "pytest": 2.0}), off)
    assert t.text == "I patch with Python mock in tests."


def test_a_reading_as_near_as_the_term_is_asked_about_and_a_farther_one_is_not() -> None:
    # sounds spelled as letters outside every near pair, so distances are plain edits:
    # the term and "Tie" are both 2 edits of 7 from what was heard (2/7, which the
    # candidate keeps rounded down to 0.2857), "Far" 3 of 7
    from mockint.hearing.terms import Candidate, SoundIndex, rival_readings

    table = {"Term": "qxhcyrr", "Tie": "qxhcxxh", "Far": "qxhxxxh"}
    sounds = lambda w: table.get(w, w)  # noqa: E731
    index = SoundIndex({"Tie", "Far"}, sounds)
    text = "we used qxhcyqh here"
    c = Candidate(2, 1, "qxhcyqh", "Term", round(2 / 7, 4), "we used Term here")
    readings = rival_readings(c, text, index, sounds)
    assert [r.term for r in readings] == ["Tie"]
    assert readings[0].text == "we used Tie here"


def test_the_bank_words_veto_nothing_a_term_spells_and_no_wider_window_gets_round_them(
    resume_bank,  # type: ignore[no-untyped-def]
) -> None:
    # with a real bank's words: "auth" is a word of the bank and spelled in OAuth2, so
    # "auth two" is still asked about; plural forms of the question's own terms are no
    # rivals ("fast happies" may be FastAPI though the bank writes "FastAPIs")
    from mockint.hearing.vocabulary import bank_terms, bank_words

    words = bank_words(resume_bank)
    assert {"auth", "fastapis", "pytest"} <= words
    joined = tuple(sorted(bank_terms(resume_bank)))
    t = corrected(
        heard("we log in with auth two", ["auth", "two"]),
        Hints(("OAuth2",), joined, words),
        prefers({"OAuth2": 2.0}),
    )
    assert t.text == "we log in with OAuth2"
    t = corrected(
        heard("the fast happies docs", ["happies"]),
        Hints(("FastAPI",), joined, words),
        prefers({"FastAPI": 2.0}),
    )
    assert t.text == "the FastAPI docs"
    # a term spelled inside the question's term is its own, not a rival: "HTTP ex
    # caption" may be HTTPException
    t = corrected(
        heard("raise an HTTP ex caption here", ["ex", "caption"]),
        Hints(("HTTPException",), joined, words),
        prefers({"HTTPException": 2.0}),
    )
    assert t.text == "raise an HTTPException here"
    # a wider window holding words that sound as a rival is not asked either: "with
    # pidest" would give up the heard "with" for Python
    score = prefers({"Python": 3.0})
    said = "It is easy to test with pidest."
    hints = Hints(("Python",), joined, words)
    assert corrected(heard(said, ["with", "pidest"]), hints, score).text == said


def test_an_ordinary_word_is_not_the_letters_of_an_acronym() -> None:
    # "as G.I. Joe" heard "as GI": "as" is a word said, not the letters A, S of ASGI;
    # "fast AP I" is FastAPI ("fast" stands for the word Fast), "my SQL" MySQL
    hints = Hints((), ("ASGI", "FastAPI", "MySQL"))
    for said in ("I played as GI Joe.", "I played as G.I. Joe.", "I played as GI, Joe."):
        assert corrected(heard(said), hints).text == said
    assert corrected(heard("we serve fast AP I on my SQL."), hints).text == (
        "we serve FastAPI on MySQL."
    )
    assert corrected(heard("an AS GI server"), hints).text == "an ASGI server"
    # "As" where a sentence starts is the same word
    for said in ("As GI Joe, I played.", "As G.I. Joe I played."):
        assert corrected(heard(said), hints).text == said


def test_a_heard_number_is_not_made_a_term_that_holds_it() -> None:
    # "a Flake, eight" heard as "a 8": flake8 in its place would add a word nobody heard,
    # whatever the audio prefers; a word that sounds like the whole term still may be
    hints = Hints(("flake8", "S3"), ("flake8", "S3"))
    wanted = ("eating a flake8 or", "the size S3 of", "run flake8")

    def score(texts: Sequence[str]) -> list[float]:  # the audio prefers the term there
        return [2.0 if any(w in x for w in wanted) else 0.0 for x in texts]

    for said in ("I was eating a 8 or 9 a week.", "the size 3 of them"):
        t = heard(said, unsure=["8", "3"])
        assert corrected(t, hints, score).text == said
    t = corrected(heard("we run flaky eight", unsure=["flaky", "eight"]), hints, score)
    assert "flake8" in t.text


def test_a_word_inside_a_term_is_asked_about_only_where_the_term_adds_no_sound() -> None:
    # "serializers" for ModelSerializer would add "model", unheard; "Jango" for Django and
    # "unicorn" for Gunicorn are the term's sounds spelled as a word, a letter less
    terms = ("ModelSerializer", "Django", "Gunicorn")
    hints = Hints(terms, terms)
    better = prefers(
        {"the ModelSerializer for": 2.0, "with Django back": 2.0, "ran Gunicorn behind": 2.0}
    )
    said = "I used the serializers for that."
    asked: list[str] = []
    assert corrected(heard(said, ["serializers"]), hints, prefers({}, asked)).text == said
    never = ("I used the ModelSerializer for that.", "I used ModelSerializer for that.")
    assert asked and not set(asked) & set(never)  # "(the) serializers": never asked about
    for said in ("I used the serializer's field.", "I used the serializer\u2019s field."):
        word = said.split()[3]
        t = corrected(heard(said, [word]), hints, prefers({"the ModelSerializer field": 2.0}))
        assert t.text == said  # a possessive s is no more the term's than a plural one
    for said, word, term in (
        ("I built it with Jango back then.", "Jango", "Django"),
        ("We ran unicorn behind a proxy.", "unicorn", "Gunicorn"),
    ):
        t = corrected(heard(said, [word]), hints, better)
        assert t.text == said.replace(word, term)
        assert [(w.heard, w.text) for w in t.words if w.heard] == [(word, term)]


def test_a_word_is_not_made_a_term_that_adds_a_number_to_it() -> None:
    # "flake" for flake8 adds "eight", a word nobody said: a digit is never a silent
    # letter, so the term's one character more is no spelling of the word heard
    terms = ("flake8", "boto3", "OAuth2")
    hints = Hints(terms, terms)
    for said, word, put in (
        ("I found a flake in the test.", "flake", "a flake8 in"),
        ("We keep it in boto for now.", "boto", "in boto3 for"),
        ("We log in with OAuth here.", "OAuth", "with OAuth2 here"),
    ):
        asked: list[str] = []
        t = corrected(heard(said, [word]), hints, prefers({put: 9.0}, asked))
        assert t.text == said and not any(put in x for x in asked), asked


def test_a_term_heard_is_given_up_only_for_a_longer_term_that_holds_it() -> None:
    terms = ("SQL", "PostgreSQL", "MySQL", "Redis")
    hints = Hints(terms, terms)
    said = "I run it with Pulsker SQL, or a plan."
    asked: list[str] = []
    better = prefers({"with PostgreSQL, or": 2.0, "with Redis, or": 3.0, "Pulsker Redis": 3.0})
    t = corrected(heard(said, ["Pulsker"]), hints, better, None)
    assert t.text == said.replace("Pulsker SQL,", "PostgreSQL,")
    assert [(w.heard, w.text) for w in t.words if w.heard] == [("Pulsker SQL,", "PostgreSQL,")]
    corrected(heard(said, ["Pulsker"]), hints, prefers({}, asked))
    assert not any("Redis" in x for x in asked)  # SQL was heard: never given up for Redis
    # a term heard with function words alone is never asked about ("the SQL" is not MySQL)
    said = "I wrote the SQL by hand."
    asked.clear()
    assert (
        corrected(heard(said, ["the", "SQL"]), hints, prefers({"MySQL": 9.0}, asked)).text == said
    )
    assert not any("MySQL" in x for x in asked)
    # the term heard is kept only for an unsure word beside it: "wrote" was heard surely
    said = "I wrote SQL daily."
    assert corrected(heard(said, ["SQL"]), hints, prefers({"I MySQL daily": 9.0})).text == said


def test_a_term_heard_is_not_given_up_for_a_longer_term_that_only_adds_to_the_words() -> None:
    # "Django filter" holds Django at the same end as DjangoFilterBackend, but its letters
    # are the term's less "Backend": the term would add a word nobody said
    terms = ("Django", "DjangoFilterBackend", "USER", "IsAdminUser", "CORS", "CORSMiddleware")
    hints = Hints(terms, terms)
    for said, word, put in (
        ("I used the Django filter for that.", "filter", "the DjangoFilterBackend for"),
        ("She is an admin user here.", "admin", "an IsAdminUser here"),
        ("We add the CORS middle layer.", "middle", "the CORSMiddleware layer"),
    ):
        asked: list[str] = []
        t = corrected(heard(said, [word]), hints, prefers({put: 9.0}, asked))
        assert t.text == said and not any(put in x for x in asked), asked


def test_each_place_is_checked_on_its_own() -> None:
    said = "I run ridies, and ridies as a service."
    hints = Hints(("Redis", "Celery"), ("Redis", "Celery"))

    def score(texts: Sequence[str]) -> list[float]:
        # the audio bears the term out at the first place only
        return [
            1.0 if "run Redis, and ridies" in x else -3.0 if "Redis" in x else 0.0 for x in texts
        ]

    t = corrected(heard(said, ["ridies"]), hints, score)
    assert t.text == "I run Redis, and ridies as a service."
    assert t.words[2].heard == "ridies," and t.words[4].heard is None
    shown_as_heard(t)


def test_terms_better_each_alone_are_taken_together_only_where_better_together() -> None:
    said = "We sign with auth two and store in readies."
    hints = Hints(("OAuth2", "Redis"), ("OAuth2", "Redis"))

    def score(texts: Sequence[str]) -> list[float]:
        both = "OAuth2" in texts[-1] and "Redis" in texts[-1]
        return [
            (-1.0 if both and "OAuth2" in x and "Redis" in x else 0.0)
            + (0.5 if "OAuth2" in x and "Redis" not in x else 0.0)
            + (0.3 if "Redis" in x and "OAuth2" not in x else 0.0)
            for x in texts
        ]

    unsure = ["auth", "two", "readies"]
    t = corrected(heard(said, unsure), hints, score)
    assert "OAuth2" in t.text and "readies" in t.text, t.text
    t = corrected(heard(said, unsure), hints, prefers({"OAuth2": 0.5, "Redis": 0.3}))
    assert t.text == "We sign with OAuth2 and store in Redis.", t.text
    shown_as_heard(t)


def test_common_words_alone_are_never_asked_about_for_a_term() -> None:
    # "red is", "be at", "the pet", "of course": the audio cannot tell them from Redis,
    # BEAT, Depends, CORS; which the decoder prefers there is its taste in words
    terms = ("Redis", "BEAT", "Depends", "CORS", "CRUD", "Python")
    hints = Hints(terms, terms)
    for said in (
        "I think red is the best one.",
        "We will be at the office, of course.",
        "I saw the pet. Then credit came in time I guess.",
    ):
        asked: list[str] = []
        unsure = [w.strip(",.") for w in said.split()]  # however unsure it was heard
        t = corrected(heard(said, unsure), hints, prefers(dict.fromkeys(terms, 9.0), asked))
        assert t.text == said and not any(x != said for x in asked), asked


def test_ordinary_words_that_sound_exactly_as_a_term_are_never_asked_about() -> None:
    # "row N plus one" reads N+1 aloud and "flour" is Flower's sound: the audio cannot tell
    # them apart, however much the decoder prefers the term there
    terms = ("N+1", "Flower", "Celery")
    hints = Hints(terms, terms)
    for said, unsure, term_put in (
        ("Row N plus one extra seat.", ["plus"], "Row N+1 extra"),
        ("Row N-plus-one extra seat.", ["N-plus-one"], "Row N+1 extra"),
        ("We ran out of flour for the cake.", ["flour"], "of Flower for"),
    ):
        asked: list[str] = []
        t = corrected(heard(said, unsure), hints, prefers({term_put: 9.0}, asked))
        assert t.text == said and not any(term_put in x for x in asked), asked
    # a word that is no ordinary word ("Selery"), with the term's sound, is still asked about
    said = "I run the jobs with Selery and a queue."
    t = corrected(heard(said, ["Selery"]), hints, prefers({"with Celery and": 0.5}))
    assert t.text == said.replace("Selery", "Celery")


def test_an_unsure_word_is_asked_about_further_off_and_taken_only_if_better() -> None:
    said = "Models and kreddit operations were in a repository."
    hints = Hints(("CRUD", "CORS", "Pydantic"), ("CRUD", "CORS", "Pydantic"))
    asked: list[str] = []
    # "kreddit", further from CRUD than a sure word may be: asked about only where the
    # recogniser was unsure of it, and taken only where the audio prefers the term
    t = corrected(heard(said, ["kreddit"]), hints, prefers({"CRUD": 0.5}, asked))
    assert t.text == said.replace("kreddit", "CRUD") and t.segments[0].text == t.text
    assert corrected(heard(said, ["kreddit"]), hints, prefers({"CRUD": -0.5})).text == said
    asked.clear()
    assert corrected(heard(said), hints, prefers({"CRUD": 9.0}, asked)).text == said
    assert not any("CRUD" in x for x in asked)  # heard surely: not asked about


def test_words_heard_surely_are_not_asked_about_unless_told_to() -> None:
    said = "I keep the sessions in readies for now."
    hints = Hints(("Redis", "Celery"), ("Redis", "Celery"))
    better = prefers({"Redis": 0.5})
    assert corrected(heard(said, ["readies"]), hints, better).text == said.replace(
        "readies", "Redis"
    )
    assert corrected(heard(said), hints, better).text == said  # the decoder was sure
    told = CorrectionOptions(ask_sure=True)
    assert corrected(heard(said), hints, better, told).text == said.replace("readies", "Redis")


class Ceilinged:
    """A scorer by a table that also gives each text a ceiling by another table."""

    def __init__(self, gains: dict[str, float], tops: dict[str, float]):
        self.score, self.tops = prefers(gains), tops

    def __call__(self, texts: Sequence[str]) -> list[float]:
        return self.score(texts)

    def ceilings(self, scored: str, texts: Sequence[str]) -> list[float]:
        return [sum(g for w, g in self.tops.items() if w in t) for t in texts]


def test_a_term_whose_ceiling_is_no_higher_than_as_heard_is_not_taken() -> None:
    """What a scorer's ceiling says cannot score higher than as heard is not asked about;
    an honest ceiling changes nothing, one that rules the term out keeps what was heard."""
    said = "I keep them in readies and salary for now."
    hints = Hints(("Redis", "Celery"), ("Redis", "Celery"))
    t = heard(said, ["readies", "salary"])
    gains = {"Redis": 0.5, "Celery": 0.2}
    both = said.replace("readies", "Redis").replace("salary", "Celery")
    assert corrected(t, hints, prefers(gains)).text == both
    honest = Ceilinged(gains, {"Redis": 2.0, "Celery": 0.3})
    assert corrected(t, hints, honest).text == both
    ruled = Ceilinged(gains, {"Redis": 2.0, "Celery": 0.0})  # a tie keeps what was heard
    assert corrected(t, hints, ruled).text == said.replace("readies", "Redis")


def test_a_ceiling_is_the_shared_tokens_then_what_the_heard_token_left() -> None:
    import math

    from mockint.hearing.transcribe import CEILING_SLACK, ceiling

    logs = [math.log(0.9), math.log(0.75), math.log(0.1)]
    # the first different token may have at most the 0.25 the heard one left, then any
    top = ceiling([1, 2, 3], logs, [1, 7, 8, 9])
    assert top == pytest.approx(math.log(0.9) + math.log(0.25) + CEILING_SLACK, abs=1e-5)
    assert top > sum(logs)  # a text that can still score higher than as heard
    assert ceiling([1, 2, 3], logs, [7]) == pytest.approx(math.log(0.1) + CEILING_SLACK, abs=1e-5)
    # one text holding the other: the shorter scores what its tokens scored, the longer less
    assert ceiling([1, 2, 3], logs, [1, 2]) == pytest.approx(sum(logs[:2]) + CEILING_SLACK)
    assert ceiling([1, 2], logs[:2], [1, 2, 3]) == pytest.approx(sum(logs[:2]) + CEILING_SLACK)
    # a heard token the decoder was all but certain of leaves nothing: no higher than heard
    assert ceiling([1, 2], [0.0, 0.0], [1, 5]) < -10


def test_rough_sound_alikes_are_candidates_that_only_the_audio_can_take() -> None:
    from mockint.hearing.phonetic import common_words, phonemizer
    from mockint.hearing.terms import (
        Candidate,
        _distance,
        _likeness,
        put_terms,
        supported,
        term_candidates,
    )

    ph, common = phonemizer(), common_words()
    assert ph is not None
    text = "I log in with all two, then validate with authentic schemas."
    found = term_candidates(text, {"OAuth2", "Pydantic", "Kubernetes"}, ph, common=common)
    closest: dict[str, Candidate] = {}
    for c in found:  # the closest first
        closest.setdefault(c.term, c)
    assert closest["OAuth2"].heard == "all two," and closest["Pydantic"].heard == "authentic"
    assert "Kubernetes" not in closest  # sounds like nothing said
    # the audio decides: better than as heard (above 0), or not at all
    gains = [0.1 if c is closest["OAuth2"] else 0.0 for c in found]
    taken = supported(found, gains)
    assert [c.term for c in taken] == ["OAuth2"]
    assert put_terms(text, taken) == "I log in with OAuth2, then validate with authentic schemas."
    assert supported(found, [-0.01] * len(found)) == []
    two = [
        Candidate(0, 2, "all two", "OAuth2", 0.4, "OAuth2"),
        Candidate(1, 1, "two", "Tue", 0.3, "all Tue"),
    ]
    assert supported(two, [0.5, 1.0]) == [two[1]] and supported(two, [1.0, 0.5]) == [two[0]]
    assert _likeness(ph("3D's"), ph("Redis")) == 1.5 and _distance(ph("3D's"), ph("Redis")) == 4


def test_words_put_past_a_term_by_their_length_alone_are_past_it_by_both_measures() -> None:
    """The length check that skips the edit distances never skips a pair within reach."""
    import itertools

    from mockint.hearing.terms import LIKENESS_SCALE, _distance, _likeness, _too_far

    sounds = ["ɹᵻdiz", "θɹiːdiːz", "ɹɛdɪz", "paɪθɑːn", "pɪsən", "ə", "əɹiːdiz", "sɛləɹi", "ɹiːdɪŋz"]
    skipped = 0
    for heard, key in itertools.product(sounds, repeat=2):
        size = len(key.replace("ː", ""))
        d = min(_distance(heard, key) / len(key), LIKENESS_SCALE * _likeness(heard, key) / size)
        for most in (0.25, 0.7, 0.8):
            if _too_far(heard, key, most):
                skipped += 1
                assert d > most, (heard, key, most)
    assert skipped  # it does skip some


def test_a_sound_distance_cut_short_is_exact_within_its_bound_and_past_it_beyond() -> None:
    """Edit distances stop once they must exceed the bound asked: a distance within it is
    the full table's, one beyond it is only known to be beyond; a SoundIndex answers a
    question asked again as it did the first time."""
    import itertools

    from mockint.hearing.terms import (
        LIKENESS_SCALE,
        SoundIndex,
        _distance,
        _likeness,
        sound_distance,
    )

    sounds = ["ɹᵻdiz", "θɹiːdiːz", "ɹɛdɪz", "paɪθɑːn", "pɪsən", "əɹiːdiz", "sɛləɹi", "ɹiːdɪŋz"]
    cut = 0
    for heard, key in itertools.product(sounds, repeat=2):
        size = len(key.replace("ː", ""))
        full = min(_distance(heard, key) / len(key), LIKENESS_SCALE * _likeness(heard, key) / size)
        for most in (0.25, 0.5, 0.7):
            got = sound_distance(heard, key, most)
            if full <= most:
                assert got == full, (heard, key, most)
            else:
                assert got > most, (heard, key, most)
                cut += got == float("inf")
    assert cut  # some were cut short
    index = SoundIndex({"Redis", "Celery", "Python"}, lambda w: {"Redis": "ɹᵻdiz"}.get(w, w))
    assert index.nearest("ɹɛdɪz", 0.01) > 0.01  # asked with a tighter bound first
    first = index.nearest("ɹɛdɪz", 0.7)
    assert first == index.nearest("ɹɛdɪz", 0.7) <= 0.7
    assert index.nearest("ɹɛdɪz", 0.7, {"redis"}) > 0.7  # another question, another answer


class FakeEngine:
    """An engine that hears one text and scores by a table."""

    name = "fake"
    sha256 = "0" * 64

    def __init__(self, text: str, gains: dict[str, float]):
        self.text, self.gains = text, gains

    def load(self) -> None:
        return None

    def hear(self, audio: np.ndarray, hints: Hints | None = None, voiced: object = None):  # type: ignore[no-untyped-def]
        from mockint.hearing.transcribe import Heard

        return Heard(heard(self.text, unsure=["readies"]), prefers(self.gains))


def test_the_corrector_is_a_step_after_the_engine_which_knows_nothing_of_it() -> None:
    engine = FakeEngine("We kept the jobs in readies.", {"Redis": 1.0})
    corrector = Corrector(engine)  # type: ignore[arg-type]
    hints = Hints(("Redis",), ("Redis",))
    t = corrector.transcribe(np.zeros(16000, np.float32), hints)
    assert t.text == "We kept the jobs in Redis." and t.words[-1].heard == "readies."
    assert corrector.transcribe(np.zeros(16000, np.float32)).text == engine.text  # no hints
    assert corrector.name == "fake" and corrector.sha256 == engine.sha256
    # the engines decode and score; they do not import the correction
    for module in ("transcribe.py", "ct2_engine.py"):
        tree = ast.parse((ROOT / "mockint" / "hearing" / module).read_text())
        imported = {
            n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
        } | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {"mockint.hearing.respell", "mockint.hearing.terms"} & imported, module


@pytest.mark.parametrize("engine", ["ct2", "openai"])
def test_a_transcriber_made_for_practice_corrects_and_one_made_plain_does_not(engine: str) -> None:
    from mockint.hearing.engines import make_transcriber
    from mockint.hearing.transcribe import Engine, WhisperOptions

    o = WhisperOptions(engine=engine)
    assert isinstance(make_transcriber(o), Corrector)
    assert isinstance(make_transcriber(o, correction=None), Engine)


def test_a_long_recording_is_graded_phrase_by_phrase_as_practice_hears_it(
    tmp_path: Path,
    resume_bank,  # type: ignore[no-untyped-def]
) -> None:
    """Offline grading (grade --audio, --batch) hears a recording the way practice does,
    phrase by phrase, each phrase with the question's hints and the voice detector's
    verdicts: a recording over 30 s gets the same audio check as any other."""
    from mockint.grading.assess import Assessor
    from mockint.hearing.listen import heard_by_phrases, voice_pauses
    from mockint.hearing.vad import default_vad
    from mockint.hearing.vocabulary import bank_terms, bank_words, hints_for
    from mockint.sound.audio import load_audio

    from .conftest import HashingEmbedder, espeak

    q = resume_bank.get("Q163")
    said = load_audio(espeak(" ".join([q.model_answer] * 2), tmp_path / "long.wav"))
    gap = np.zeros(16000 * 3, np.float32)  # a long pause inside the answer
    audio = np.concatenate([said, gap, said[: 16000 * 5]])
    assert len(audio) > 16000 * 40
    calls: list[tuple[float, object, object]] = []

    class Phrases:
        name = "phrases"

        def transcribe(self, audio: np.ndarray, *more: object) -> Transcript:
            calls.append((len(audio) / 16000, *more))
            return Transcript(f"phrase{len(calls)}")

    hints = hints_for(q, bank_terms(resume_bank), bank_words(resume_bank))
    a = Assessor(HashingEmbedder(), Phrases()).assess_audio("resume", q, audio, None, hints)
    assert len(calls) >= 3 and all(seconds <= 25 for seconds, _, _ in calls), calls
    assert all(h == hints and v is not None for _, h, v in calls)
    assert a.transcript.text == " ".join(f"phrase{k}" for k in range(1, len(calls) + 1))
    # the long pauses come from the same pass of the voice detector, as when listening
    _, pauses = heard_by_phrases(audio, Phrases(), default_vad())
    assert pauses == voice_pauses(audio, default_vad()) != []


def test_a_term_is_heard_as_a_word_or_as_its_words_in_a_row() -> None:
    from mockint.hearing.vocabulary import heard as has

    assert has("Redis", "we used Redis.") and not has("Redis", "we used Redisin")
    assert has("Celery Beat", "then celery beat, the scheduler") and has("PEP 8", "I follow PEP 8")
    assert not has("Celery Beat", "celery, and the beat") and not has("PEP 8", "PEP eight")
    assert has("CI/CD", "in our CI CD") and not has("FastAPI", "fast API")
    # a hyphen is not heard: a term inside a hyphenated word, or one said with a space
    assert has("API", "an API-only service") and has("pytest-mock", "with pytest mock")
    assert not has("API", "an APIs-only service") and not has("pytest-mock", "pytest, then mock")


def test_a_bank_of_many_words_is_weighed_by_its_most_used() -> None:
    # a bank someone sends with 30,000 made-up words: the correction weighs 20,000 (each
    # is sounded out once, and they travel with every phrase), the most used first
    from mockint.bank import Bank, Question
    from mockint.hearing.vocabulary import MAX_BANK_WORDS, bank_words

    made_up = " ".join(f"zq{n:05d}x" for n in range(30_000))
    bank = Bank("big", (Question("Q1", "C", "What is pytest? pytest pytest", made_up),))
    words = bank_words(bank)
    assert len(words) == MAX_BANK_WORDS and "pytest" in words
