"""Closed-class words the rule judge needs to read a sentence, per language.

The rubric files hold what each repair move or pitfall sounds like; this module
holds the small grammar around them: negation words, contrast words that open
a new clause ("but", "aber"), words after which a clause keeps the negation of
the one before ("I'm not saying *that* ..."), and hedges that make an
interpretation tentative. These are stable word lists, not rubric content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class Lexicon:
    negators: re.Pattern[str]
    contrast: re.Pattern[str]
    subordinators: re.Pattern[str]
    hedges: re.Pattern[str]
    #: A link to the patient's pattern points at the here and now ("with me", "in here")...
    here_and_now: re.Pattern[str]
    #: ...and at a likeness ("too", "familiar", "a bit like that")...
    likeness: re.Pattern[str]
    #: ...with what the patient has just described about other relationships or the past.
    elsewhere: re.Pattern[str]


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), _FLAGS)


LEXICONS: dict[str, Lexicon] = {
    "en": Lexicon(
        negators=_words(
            r"\bnot\b(?!\s+(?:sure|only|just)\b)",
            r"n't\b",
            r"\bnever\b",
            r"\bno\b(?!\s+(?:wonder|doubt)\b)",
            r"\bnothing\b",
            r"\bnobody\b",
            r"\bhardly\b",
        ),
        contrast=_words(r"\bbut\b", r"\bhowever\b", r"\balthough\b", r"\bthough\b", r"\byet\b"),
        subordinators=_words(r"\bthat\b", r"\bwhether\b", r"\bif\b", r"\bhow\b"),
        hedges=_words(
            r"\bI wonder",
            r"\bI'm wondering\b",
            r"\bmaybe\b",
            r"\bperhaps\b",
            r"\bmight\b",
            r"\bpossibly\b",
            r"\bcould (?:it|this|that) be\b",
            r"\bis it possible\b",
            r"\bI'm curious (?:whether|if)\b",
            r"\bI'm not sure\b",
            r"\bI could be wrong\b",
            r"\bI have a (?:hunch|sense|feeling)\b",
            r"\b(?:does|do|would) (?:this|that|it) (?:feel|seem|sound|ring)\b",
            r"\bcould (?:something|any of|some of|part of)\b",
            r"\bis that (?:part of it|possible|close|right)\b",
            r"\bdoes that (?:sound right|fit|ring true|make sense)\b",
            r"\bif I'm (?:off|wrong)\b",
        ),
        here_and_now=_words(
            r"\b(?:me|us|here|our|my)\b",
            r"\bwhen I\b",
            r"\bI(?:'ve| have| was)\b",
            r"\bI'm (?:a bit of|like)\b",
        ),
        likeness=_words(
            r"\b(?:too|as well|also|similar|familiar|the same|again|old|back then|on top)\b",
            r"\b(?:a bit|something|kind of|sort of) like\b",
            r"\blike that\b",
            r"\bpart of (?:why|it|that)\b",
            r"\b(?:lands?|landed|feels?|felt|sounds?|sounded|seems?|seemed|looks?) "
            r"(?:\w+ ){0,2}like\b",
            r"\b(?:some of|more of|one more|another|all over|brings? (?:\w+ ){0,3}back|echo\w*)\b",
        ),
        elsewhere=_words(
            r"\b(?:father|mother|mum|mom|dad|parents?|family|ex|brothers?|sisters?|boss|friends)\b",
            r"\b(?:at home|growing up|as a (?:kid|child)|childhood|whole life|always|never)\b",
            r"\b(?:wife|husband|partner|son|daughter|kids|children|colleagues?|teachers?|"
            r"doctors?|hospital|school|at work|foster\w*|grand\w+|everyone|everybody|nobody|"
            r"no one|used to)\b",
        ),
    ),
    "de": Lexicon(
        negators=_words(
            r"\bnicht\b(?!\s+(?:sicher|nur)\b)",
            r"\bkein(?:e|en|em|er|es)?\b(?!\s+wunder\b)",
            r"\bnie(?:mals)?\b",
            r"\bnichts\b",
            r"\bkeinesfalls\b",
            r"\bweder\b",
            r"\bkaum\b",
        ),
        contrast=_words(
            r"\baber\b",
            r"\bjedoch\b",
            r"\ballerdings\b",
            r"\bsondern\b",
            r"\btrotzdem\b",
            r"\bdennoch\b",
        ),
        subordinators=_words(r"\bdass\b", r"\bob\b", r"\bwie\b"),
        hedges=_words(
            r"\bich frage mich\b",
            r"\bvielleicht\b",
            r"\bmöglicherweise\b",
            r"\bwomöglich\b",
            r"\bkönnte\b",
            r"\bkann es sein\b",
            r"\bist es möglich\b",
            r"\bmag sein\b",
            r"\bich bin (?:mir )?nicht sicher\b",
            r"\bich könnte mich (?:auch )?(?:irren|täuschen)\b",
            r"\bmir kommt der gedanke\b",
            r"\bkommt (?:ihnen )?(?:das|es|dies) (?:irgendwie )?(?:bekannt|vertraut)\b",
            r"\bwenn das nicht passt\b",
            r"\bpasst das\b",
        ),
        here_and_now=_words(r"\b(?:mir|mich|hier|uns|unser\w*|bei mir|mit mir)\b", r"\bwenn ich\b"),
        likeness=_words(
            r"\b(?:auch|ähnlich\w*|vertraut|wieder|dasselbe|das gleiche)\b",
            r"\b(?:so|genauso|ein bisschen so) wie\b",
            r"\bwie damals\b",
            r"\bso (?:was|etwas) ähnliches\b",
        ),
        elsewhere=_words(
            r"\b(?:vater|mutter|mama|papa|eltern|familie|bruder|schwester|chef\w*|freund\w*)\b",
            r"\b(?:früher|immer|nie|als kind|kindheit|zu hause)\b",
        ),
    ),
}


def lexicon_for(language: str) -> Lexicon:
    return LEXICONS.get(language, LEXICONS["en"])


#: Text addressed to an evaluator rather than to the patient. Everything from the
#: first match on is ignored when looking for repair moves (pitfalls still count),
#: so such text can only lower a score.
INJECTION_MARKERS: re.Pattern[str] = re.compile(
    "|".join(
        (
            r"(?:^|[\s\[(<{\"'*#])(?:system|evaluator|evaluation|judge|assistant|developer|"
            r"rater|grader|scorer|instructions?|note to (?:the )?(?:evaluator|judge|ai)|"
            r"bewerter(?:in)?|bewertung|gutachter(?:in)?|prüfer(?:in)?|anweisung(?:en)?|"
            r"hinweis an (?:die|den) (?:ki|bewerter(?:in)?))\s*[:>\]]",
            r"\bignor\w*\s+(?:\w+\s+){0,3}(?:rubric|rubrik|instruction|anweisung|rule|regel|"
            r"criteria|kriterien|guideline|prompt|bewertung)",
            # a score given to the reply ("give this 5/5", "rate my answer five stars"), not
            # "give it five minutes" or "your score has dropped by 12 points"
            r"\b(?:give|rate|score|grade|mark|award)\s+(?:(?:this|that|it|me|us|the|my|a|an|"
            r"reply|response|answer|trainee|therapist|student)\s+){0,4}(?:\d+\s*(?:/\s*\d+|/|"
            r"out of(?:\s*\d+)?|points|stars)|five(?=\s*(?:[.!,;)]|$|stars|points|out of))|"
            r"full marks|top marks|maximum|perfect|highest)",
            r"\b(?:gib|gebe|geben sie|bewerte|bewerten sie|vergib)\s+(?:\w+\s+){0,4}"
            r"(?:\d+\s*(?:/|von|punkte|sterne)|fünf|volle punkt|höchste|beste note)",
            r"\b(?:rating|score|note|punkte)\s*[:=]\s*\d",
            r"<\s*/?\s*(?:system|instructions?|prompt)\s*>",
            r"\[/?INST\]",
            r"\b(?:clarify_misunderstanding|change_task_or_goal|provide_rationale|"
            r"redirect_refocus|explore_rupture|disclose_internal_experience|link_to_pattern|"
            r"acknowledge_contribution|validate_defense|ignores_rupture|blames_patient|"
            r"premature_interpretation)\b",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)
