"""Structural cues for the harmful pitfalls, read clause by clause.

The rubric's indicators list what blame or defence usually sounds like; novices
find new words for both all the time. The cues here look for the structure
instead, with small closed word classes per language:

- **blame** (`blames_patient`)
  - a condition on the patient's behaviour tied to a worse outcome or a
    might-have-been ("if you'd rung earlier, it wouldn't have...", "unless you
    start..., nothing will change", "wenn Sie ... hätten, wären wir..."),
  - a generalisation about other people's effort or reactions that is aimed at
    the patient ("people who stick with it are the ones who...", "clients who
    are anxious often read a lot into...", "others your age would be glad..."),
  - a clause with the patient as subject and a reproach marker ("you're
    shutting me out again", "you're very quick to...", "every idea before
    trying it"),
  - a reproach of the patient's tone or manner ("no need for the sarcasm",
    "please don't shout", "being this demanding won't...");
- **interpretation by type** (`premature_interpretation`): the reaction put down to a kind
  of person ("clients who are anxious often read a lot into...");
- **defence** (`defensive`)
  - denying the complaint in its own words: a negated first-person clause that
    reuses what the patient just said ("You took his side" - "I never take
    sides"),
  - minimising one's own act ("I was only checking...", "I only asked"),
  - an apology for the patient's perception instead of one's own act ("sorry
    if it seemed that way", "I apologise for any confusion"), or one followed
    by a contrast ("..., though I stand by it"; "I'm sorry. But...").

A subject ("you", "I") counts only where it opens a clause, so words reported inside
another clause ("you telling me I'm not getting it") are not read as the therapist's
own. Each cue returns the span it found, so the judge can quote the sentence; the
criterion's counter-patterns in the rubric still apply (`bot.judges.rules`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.judges.lexicon import Lexicon
from bot.judges.text import Sentence, clause_start, sentences

_FLAGS = re.IGNORECASE


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), _FLAGS)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(frozen=True)
class Cues:
    # ---- blame
    #: "if you ...", "unless you ...": a condition whose subject is the patient.
    patient_condition: re.Pattern[str]
    #: What makes a condition an offer rather than a reproach ("if you'd like", "if you felt").
    offer: re.Pattern[str]
    #: Words before "if" that make it "whether" ("I wonder if you...", "let me check if").
    embedded_if: re.Pattern[str]
    #: A sentence that validates is not read as blame ("it would make sense if you were fed up").
    validating: re.Pattern[str]
    #: A might-have-been in the consequence ("you'd", "it wouldn't have", "wären wir").
    irrealis: re.Pattern[str]
    #: A bad outcome in the consequence ("it won't work", "nothing will change").
    bad_outcome: re.Pattern[str]
    #: People in general, or people like the patient ("clients who", "people your age").
    generic_person: re.Pattern[str]
    #: Effort, commitment or its absence ("stick with it", "stop trying", "really care").
    effort: re.Pattern[str]
    #: Habitual reactions put on people ("often read a lot into", "tend to clam up").
    habit: re.Pattern[str]
    #: Others held up as the better example ("others your age would be glad").
    comparison: re.Pattern[str]
    #: The patient as the subject; it must open a clause (`opens_clause`).
    patient_subject: re.Pattern[str]
    #: Reproach markers in a clause about the patient ("again", "every time", "quick to").
    reproach: re.Pattern[str]
    #: A frame that rebukes ("no need for", "please don't", "won't get us anywhere").
    rebuke: re.Pattern[str]
    #: The patient's manner as the object of a rebuke ("the sarcasm", "shouting", "tone").
    manner: re.Pattern[str]
    # ---- defence
    #: A negated first-person clause ("I never", "I wasn't", "I'm not"); it must open a clause.
    self_denial: re.Pattern[str]
    #: Words that may stand before a clause's subject ("well", "honestly", "and", "nein").
    discourse: frozenset[str]
    #: Negated first-person phrases that are not denials ("I didn't mean", "I'm not sure").
    not_denial: re.Pattern[str]
    #: Minimising one's own act ("I was only checking", "I only asked").
    minimising: re.Pattern[str]
    #: An apology word.
    apology: re.Pattern[str]
    #: A contrast that takes an apology back ("..., though I stand by it", "But ...").
    apology_contrast: re.Pattern[str]
    #: The object of a hollow apology: the patient's perception or an effect, not one's act.
    perception: re.Pattern[str]
    #: Words that are too common to show that a denial repeats the complaint.
    stopwords: frozenset[str]
    #: The patient addresses the therapist ("you", "du", "Sie", "stop ..."): a complaint one
    #: could deny.
    addressed: re.Pattern[str]
    #: A question word opening a rhetorical question.
    wh_word: re.Pattern[str]
    #: Suffixes stripped to compare the patient's words with the reply's.
    suffixes: tuple[str, ...]


CUES: dict[str, Cues] = {
    "en": Cues(
        patient_condition=_words(r"\b(?<!as )(?<!even )(?:if|unless) you\b"),
        offer=_words(
            r"\bif you(?:'d| would)? (?:like|prefer|rather|want|wanted|wish|feel|felt|think|"
            r"thought|find|found|notice|noticed|need|needed|mean|meant|agree|say so|can|could|"
            r"don't mind|let me know|tell me|decide|choose|ask me|are up for|'re up for|are ok|"
            r"'re ok|are okay|'re okay|are willing|'re willing|are ready|'re ready|are happy|"
            r"'re happy|are comfortable|'re comfortable|are not sure|'re not sure|"
            r"(?:don't|didn't|do not|did not) (?:have|need|want|feel|like|think|find|agree))\b",
            r"\bif you(?:'d| would) (?:rather|prefer|like)\b",
            r"\bif you(?:'re| are| were)? (?:still )?(?:up for it|okay with|ok with|happy with)\b",
            r"\bif that's\b",
            r"\bif you(?:'d| would) be (?:willing|open|up for|okay|ok|happy|interested|able)\b",
        ),
        embedded_if=_words(
            r"\b(?:wonder(?:ing|ed)?|ask(?:ing)?|see|check(?:ing)?|know|curious|sure|unsure|tell "
            r"me|whether|notice|noticed|asked)\s+$",
        ),
        validating=_words(
            r"\bmakes? (?:a lot of |complete |total |perfect )?sense\b",
            r"\b(?:understandable|no wonder|fair enough|every right|natural)\b",
            r"\bwouldn't blame you\b",
            r"\b(?:that's|that is|it's|it is|that'd be|that would be|would be) "
            r"(?:completely |totally |perfectly |absolutely )?"
            r"(?:ok|okay|fine|alright|all right|normal|fair)\b",
            r"\bI'd (?:get|understand)\b",
            r"\bI (?:get|understand) (?:it|that|why)\b",
        ),
        irrealis=_words(
            r"\b(?:you|we|it|this|that|they|things|there|nothing|everything|the \w+)"
            r"(?:'d| would| might| could)(?: (?:not|never|probably|already|easily))?"
            r"(?: have)? (?!like\b|want\b|love\b|prefer\b|rather\b|be (?:glad|happy)\b)\w+",
            r"\b(?:wouldn't|couldn't|wouldn't have|couldn't have)\b",
        ),
        bad_outcome=_words(
            r"\b(?:won't|will not|can't|cannot|will never|is never going to|isn't going to|"
            r"are never going to|aren't going to)\s+(?:\w+\s+){0,2}?(?:work|help|change|improve|"
            r"get better|get anywhere|go anywhere|move|shift|progress|happen)\b",
            r"\bnothing(?:'s| is| will)(?: (?:ever|going to))? "
            r"(?:change|improve|happen|shift|move)",
            r"\b(?:no point|a waste of (?:time|our time|the session))\b",
        ),
        generic_person=_words(
            r"\b(?:people|clients|patients|folks|those|the ones|anyone|anybody|everyone|"
            r"everybody|someone|somebody|others|other people|most people|the people)"
            r"(?: (?:like you|your age|in your (?:situation|position|shoes)|"
            r"with (?:your|this) \w+))?"
            r"(?: (?:who|that)\b|,? (?:often|usually|tend|typically|generally|always)\b)",
            r"\b(?:people|clients|patients|folks) "
            r"(?:like you|your age|in your (?:situation|position))\b",
        ),
        effort=_words(
            r"\b(?:stick(?:s|ing)? (?:with|at|to)|keep(?:s)? (?:at it|going|it up|up)|"
            r"(?:stop|stopped|stops) (?:trying|coming|doing)|give(?:s)? up|gave up|"
            r"put(?:s|ting)? (?:in|the work|the effort|their all)|do(?:es)? the (?:work|homework|"
            r"exercises|practice)|commit(?:s|ted)?|really (?:want|care|try|tries|work)|care(?:s)? "
            r"enough|follow(?:s)? through|practi[sc]e(?:s)?|show(?:s)? up|turn(?:s)? up|"
            r"engage(?:s)?|open(?:s)? up|make(?:s)? (?:the|an|more of an) effort|work(?:s)? "
            r"(?:hard|at it|on it)|(?:are|is|were) (?:ready|motivated|committed|willing|serious)|"
            r"take(?:s)? it seriously|(?:do|does|did)(?:n't| not) (?:bother|try|practi[sc]e|do "
            r"(?:it|them|the \w+))|really care|try(?:ing)? harder|who care|who try|who tried)\b",
        ),
        habit=_words(
            r"\b(?:often|usually|tend to|always|typically|generally)\b[^.?!]{0,25}?\b(?:read "
            r"(?:too much|a lot|things) into|overreact|take (?:things|it|everything) (?:personally|"
            r"the wrong way)|clam up|shut down|sabotage|resist|get defensive|make excuses|"
            r"blame (?:others|other people|everyone|the therapist)|avoid (?:the|anything|"
            r"everything)|push (?:people|others) away|give up|hide behind)\b",
        ),
        comparison=_words(
            r"\b(?:other|most|plenty of|lots of|many) (?:people|clients|patients|kids|teenagers|"
            r"young people|of my clients)\b[^.?!]{0,30}\b(?:would be|are|were|'d be) "
            r"(?:glad|grateful|happy|thankful|delighted) (?:to|of|for|if|that)\b",
        ),
        patient_subject=_words(
            r"\byou(?:'re| are|'ve| have|'ll| will)?\b(?! (?:feel|felt|said|say|mean|meant|know|"
            r"told me|did tell|might|may|could|can|don't have to|do not have to|shouldn't have to|"
            r"have every right|'re right|are right|'re allowed|are allowed|'re not|are not|did "
            r"(?:ring|try|tell|say|do)|sound|seem (?:fed up|frustrated|upset|angry|hurt|sad)))",
        ),
        reproach=_words(
            r"\bagain\b(?! and again)",
            r"\bevery (?:idea|suggestion|single)\b",
            r"\b(?:very|so|too|pretty|quite|always|really) quick to\b",
            r"\bbefore (?:even )?(?:trying|giving|hearing|listening|thinking)\b",
            r"\bwhere there (?:isn't|is no|aren't|are no)\b",
            r"\bconstantly\b",
            r"\bhiding behind\b",
            r"\bshutting (?:me|us|everyone|people) out\b",
        ),
        rebuke=_words(
            r"\bno need (?:for|to)\b(?! (?:apologi[sz]e|be sorry|worry|explain|justify|rush|"
            r"hurry|decide|answer|talk|say))",
            r"(?:^|\bplease\s+|\bjust\s+|\bso\s+)(?:don't|do not|stop|quit)\b(?! (?:worry|"
            r"apologi[sz]\w*|feel|be sorry|mind|hold back|hesitate))",
            r"\bI (?:don't|do not|won't|will not|can't|cannot) (?:appreciate|accept|tolerate|"
            r"work with|continue with|talk to you|have you)\b",
            r"\b(?:keep|keeping) (?:this|it|things) (?:calm|civil|respectful|polite|professional|"
            r"friendly)\b",
            r"\b(?:isn't|is not|won't|will not|doesn't|does not|never) (?:going to )?"
            r"(?:help\w*|get (?:us|you) anywhere|speed|change|work|make)\b",
            r"\bwe won't get anywhere\b",
            r"\bwatch your\b",
            r"\b(?:calm|settle) down\b",
            r"\b(?:a bit|a little|quite|really|very|rather|pretty|bit) (?:rude|aggressive|hostile|"
            r"uncalled for|disrespectful|childish)\b",
            r"\bif you(?:'re| are)? (?:going to|gonna)\b",
            r"\b(?:hard|difficult|impossible) to (?:work|talk) with you\b",
        ),
        manner=_words(
            r"(?<!\bmy )(?<!\bI )\b(?:sarcas\w*|tone|attitude|shout\w*|yell\w*|rude\w*|swear\w*|"
            r"eye-?roll\w*|roll(?:ing)? your eyes|rais\w* your voice|snap\w*|hostil\w*|aggress\w*|"
            r"demanding|rant\w*|outbursts?|talk(?:ing)? to me like|speak(?:ing)? to me like|"
            r"mock\w*|"
            r"being (?:this|so) \w+|chang\w* the subject|deflect\w*|dodg\w*|interrupt\w*|"
            r"mak\w* excuses|exaggerat\w*)\b",
        ),
        self_denial=_words(
            r"\bI(?:'m| am|'ve| have| was| do| did)? (?:really |honestly |certainly |definitely )?"
            r"(?:not|never|n't|wasn't|didn't|don't|haven't|hadn't|am not|'m not|was not|did not|"
            r"do not|have not)\b",
        ),
        discourse=_set(
            "and but so well look honestly seriously again now no yes oh actually okay ok right "
            "listen sorry fine sure"
        ),
        not_denial=_words(
            r"\bI(?:'m| am| was| do| did)? (?:not|never|n't|wasn't|didn't|don't|'m not|am not|"
            r"do not|did not|haven't|have not) (?:really |even |quite |been |always )?"
            r"(?:mean|meant|"
            r"want|wanted|know|think|sure|mind|blame|expect|need|have to|get|got|realise|realize|"
            r"notice|noticed|understand|check|checking|ask|asking|listen|listening|hear|hearing|"
            r"see|saw|explain|explained|make|made|give|gave|given|like|going to|let|leave|left|"
            r"slow|pay|paying|follow|followed|done|do|doing|aware|conscious)\b",
            r".*\b(?:enough|properly|clearly|well enough|very well)\b",
        ),
        minimising=_words(
            r"\bI(?:'m| am| was)? (?:only|just|merely|simply) (?!wondering|curious|noticing|going|"
            r"about|thinking|realising|realizing|aware|"
            r"checking (?:in|if|whether|that I|I)\b)\w+ing\b",
            r"\bI (?:only|just|merely) (?:asked|said|mentioned|suggested|wanted (?:to help|you to)|"
            r"did what)\b",
            r"\bI (?:just|only|simply) (?:haven't|didn't|couldn't|hadn't) (?:had|have|get|got|find|"
            r"found) (?:a chance|the time|time|round to|around to)\b",
            r"\bI (?:was|am|'m) (?:only|just) being "
            r"(?:honest|helpful|thorough|careful|professional|realistic|direct)\b",
        ),
        apology=_words(r"\b(?:sorry|apologi[sz]e|apologies)\b"),
        apology_contrast=_words(
            r"(?:^|[,;]\s*|\s-\s*|\s)(?:but|however|that said)\b",
            r"[,;]\s*(?:though|although)\b",
        ),
        perception=_words(
            r"\b(?:sorry|apologi[sz]e|apologies)\b,?(?: (?:that|if|for))? (?:it|this|that|any|"
            r"the|you)\b(?:'s)? (?:\w+ ){0,2}?(?:seemed|seems|came across|comes across|come across|"
            r"sounded|sounds|felt like|feels|looked|looks|upset|upsets|bothered|bothers|offended|"
            r"annoyed|annoys|confusion|misunderstanding|inconvenience|offence|offense|"
            r"find|found|didn't like|don't like|see it|saw it|took it|take it|"
            r"got the impression)\b",
        ),
        stopwords=_set(
            "about again all also always and anything any are because been before being "
            "but can could did does doing don't even ever every feel felt from had has have "
            "here just know like make makes me more much never not nothing now only really "
            "said say says seem seems some something sound sounds still than that the them "
            "then there these they thing things think this those time too very want was way "
            "were what when where which while who why will with would you your yours "
            "actually basically honestly seriously"
        ),
        addressed=_words(r"\byou(?:r|'re|'ve|'d|'ll)?\b", r"^\W*(?:stop|quit|don't|do not)\b"),
        wh_word=_words(r"\W*(?:what|how|why|who|where|when|which)\b"),
        suffixes=("ing", "ed", "es", "s", "e"),
    ),
    "de": Cues(
        patient_condition=_words(r"\b(?:wenn|falls|solange) (?:sie|du)\b"),
        offer=_words(
            r"\b(?:wenn|falls) (?:sie|du)\b[^.?!,]{0,30}\b(?:möchten|möchtest|wollen|willst|mögen|"
            r"magst|lieber|mögen|brauchen|brauchst|finden|findest|meinen|meinst|denken|denkst|"
            r"fühlen|fühlst|bereit|okay|ok|einverstanden|müssen|musst|sagen|sagst)\b",
        ),
        embedded_if=_words(r"\b(?:frage mich|weiß nicht|unsicher|sicher)\s*,?\s*$"),
        validating=_words(
            r"\b(?:verständlich|nachvollziehbar|in ordnung|okay|völlig normal|kein wunder)\b",
            r"\bverstehe ich\b",
        ),
        irrealis=_words(
            r"\b(?:wären|wäre|wärst|hätten|hätte|hättest|würden|würde|würdest|könnten|könntest|"
            r"ginge|ginges)\b",
        ),
        bad_outcome=_words(
            r"\b(?:kann|wird|können|werden)\b[^.?!]{0,30}\b(?:nicht|nie|nichts)\b[^.?!]{0,20}\b"
            r"(?:helfen|wirken|funktionieren|ändern|besser werden|passieren)\b",
            r"\bverschwende\w*\b",
            r"\b(?:bringt|bringen) (?:das|es) (?:auch )?nichts\b",
        ),
        generic_person=_words(
            r"\b(?:wer|leute,? die|menschen,? die|klienten,? die|patienten,? die|die,? die|"
            r"diejenigen,? die)\b",
        ),
        effort=_words(
            r"\b(?:dranbleib\w*|dran bleib\w*|anstreng\w*|bemüh\w*|mitmach\w*|mitarbeit\w*|"
            r"einlass\w*|üb(?:t|en)|aufgeb\w*|aufhör\w*|ernst nehm\w*)\b",
        ),
        habit=_words(
            r"\b(?:oft|meistens|neigen dazu|immer|typischerweise)\b[^.?!]{0,25}?\b(?:zu viel "
            r"hinein|überreagier\w*|persönlich|dicht|blockier\w*|sabotier\w*|abwehr\w*|"
            r"ausreden)\b",
        ),
        comparison=_words(
            r"\b(?:andere|die meisten|viele)(?: (?:in (?:deinem|ihrem) alter|leute|menschen|"
            r"klienten|patienten|jugendliche))?\b[^.?!]{0,30}\b(?:wären|sind|wäre) "
            r"(?:froh|dankbar|glücklich)\b",
        ),
        patient_subject=_words(
            r"\b(?:du|sie)\b(?! (?:haben|hast) recht\b)"
            r"(?! (?:musst|müssen|brauchst|brauchen) (?:hier |mir |da )?(?:nichts|nicht|kein))",
        ),
        reproach=_words(
            r"\bschon wieder\b",
            r"\bwieder mal\b",
            r"\bjedes mal\b",
            r"\bständig\b",
            r"\bdauernd\b",
            r"\bversteck\w* (?:dich|sich) hinter\b",
        ),
        rebuke=_words(
            r"\bin (?:diesem|dem|so einem|solchem) ton\b",
            r"\b(?:kein grund|nicht nötig)\b",
            r"(?:^|\bbitte\s+)(?:nicht|hör auf|hören sie auf)\b",
            r"\bso nicht mit mir\b",
            r"\b(?:hilft|bringt) (?:uns |dir |ihnen )?(?:\w+ ){0,2}(?:nicht weiter|nichts)\b",
            r"\b(?:ich (?:lasse|muss) mir)\b",
        ),
        manner=_words(
            r"\b(?:ton|sarkas\w*|schrei\w*|anschrei\w*|frech\w*|unverschämt\w*|aggressiv\w*|"
            r"zynis\w*|unhöflich\w*|respektlos\w*)\b",
        ),
        self_denial=_words(
            r"\bich (?:\w+ ){0,4}?"
            r"(?:nicht|nie|niemals|kein\w*)\b",
        ),
        discourse=_set("nein ja also aber und doch naja okay ok gut hör schau ehrlich"),
        not_denial=_words(
            r"\bich (?:\w+ ){0,4}?(?:nicht|nie|niemals|kein\w*) (?:\w+ ){0,2}?(?:gemeint|meinen|"
            r"wollte|will|möchte|weiß|sicher|verstanden|gefragt|gemerkt|zugehört|gehört|"
            r"erklärt|gut|richtig|genug)\b",
            r"\bich will mich (?:gar |auch )?nicht\b",
        ),
        minimising=_words(
            r"\bich (?:wollte|habe|hab|war|bin) (?:doch |ja |eigentlich )?(?:nur|bloß|lediglich) "
            r"(?:\w+ ){0,3}?(?:helfen|gefragt|gesagt|versucht|vorgeschlagen|gemacht|nachgefragt|"
            r"ehrlich)\b",
        ),
        apology=_words(r"\b(?:tut mir leid|entschuldig\w*|sorry|verzeihung)\b"),
        apology_contrast=_words(r"(?:^|[,;]\s*|\s-\s*|\s)(?:aber|allerdings|trotzdem|jedoch)\b"),
        perception=_words(
            r"\b(?:tut mir leid|entschuldig\w*|sorry)\b,? (?:wenn|dass|falls) (?:das|es|dich|sie|"
            r"ihnen|dir)\b(?: \w+){0,3}? (?:stört|gestört|ärgert|geärgert|verletzt|verwirrt|"
            r"so (?:ankommt|angekommen|rüberkommt|rübergekommen|vorkommt|empfinde\w*)|"
            r"ankommt|rüberkommt)\b",
        ),
        stopwords=_set(
            "aber alle alles auch bei bin bist das dass dein deine dem den der des dich die "
            "dir doch du ein eine einem einen einer eigentlich etwas für ganz habe haben hast "
            "hat hier ich ihr ihre ihnen immer ist jetzt mal man mein meine mich mir mit nach "
            "nicht nichts noch nur oder schon sein sie sind so statt und uns von war was weil "
            "wenn wie wieder wir wird zu zum zur"
        ),
        addressed=re.compile(r"\b(?:[Dd]u|[Dd]ich|[Dd]ir|[Dd]ein\w*|Sie|Ihnen|Ihr\w*)\b"),
        wh_word=_words(r"\W*(?:was|wie|warum|wieso|weshalb|wer|wo|wann|welche\w*)\b"),
        suffixes=("est", "en", "et", "st", "te", "t", "e", "n", "s"),
    ),
}


def cues_for(language: str) -> Cues:
    return CUES.get(language, CUES["en"])


Span = tuple[int, int]


def opens_clause(text: str, start: int, cues: Cues) -> bool:
    """Does the word at `start` open a clause?

    It does after the start of the sentence, a clause break, a discourse word ("honestly,
    I wasn't...") or something that is not a word at all (a rating an injection left
    behind). It does not after another word ("you telling me I'm not getting it").
    """
    before = text[:start].rstrip()
    if not before or re.search(r"(?:[,;:(]|\s-|--)$", before):
        return True
    word = re.search(r"([^\W\d_]+(?:'[^\W\d_]+)?)\W*$", before)
    if word is None or before[word.end(1) :].strip():
        return True
    return word.group(1).lower() in cues.discourse


def _negated_before(sentence: str, start: int, lexicon: Lexicon) -> bool:
    head = clause_start(sentence, start, lexicon)
    return lexicon.negators.search(sentence, head, start) is not None


# ------------------------------------------------------------------ blame


def blame(sentence: Sentence, cues: Cues, lexicon: Lexicon) -> Span | None:
    """Where the sentence puts the difficulty on the patient, by structure rather than phrase."""
    text = sentence.text
    if cues.validating.search(text):
        return None
    question = text.rstrip().endswith("?")
    for finder in (_conditional_blame, _generic_blame, _reproach_blame, _manner_blame):
        span = finder(text, cues, lexicon, question)
        if span is not None:
            return span
    return None


def _conditional_blame(text: str, cues: Cues, lexicon: Lexicon, question: bool) -> Span | None:
    """'If you'd rung earlier, it wouldn't have...' / 'unless you start, nothing will change'."""
    if question:
        return None
    for cond in cues.patient_condition.finditer(text):
        if cues.offer.match(text, cond.start()) or cues.embedded_if.search(text[: cond.start()]):
            continue
        rest = text[cond.start() :]
        before = text[: cond.start()]
        outcome = cues.bad_outcome.search(rest) or cues.bad_outcome.search(before)
        might_have_been = cues.irrealis.search(rest) or cues.irrealis.search(before)
        if outcome or might_have_been:
            return cond.start(), cond.end()
    return None


def _generic_blame(text: str, cues: Cues, lexicon: Lexicon, question: bool) -> Span | None:
    """'People who stick with it are the ones who...' aimed at the patient."""
    if question:
        return None
    for person in cues.generic_person.finditer(text):
        after = text[person.start() : person.start() + 90]
        # "people who constantly...", "wer sich ständig...": a reproach aimed through a type
        if cues.effort.search(after) or cues.habit.search(after) or cues.reproach.search(after):
            return person.start(), person.end()
    comparison = cues.comparison.search(text)
    if comparison:
        return comparison.span()
    return None


def typecast(sentence: Sentence, cues: Cues) -> Span | None:
    """The patient's reaction put down to a type of person: an interpretation by pattern.

    "Clients who are anxious often read a lot into little things like that", "people your
    age often clam up like this": the reaction is explained before it is explored.
    """
    text = sentence.text
    if text.rstrip().endswith("?") or cues.validating.search(text):
        return None
    for person in cues.generic_person.finditer(text):
        habit = cues.habit.search(text, person.start(), person.start() + 90)
        if habit is not None:
            return person.start(), habit.end()
    return None


def _reproach_blame(text: str, cues: Cues, lexicon: Lexicon, question: bool) -> Span | None:
    """'You're shutting me out again' / 'you're very quick to hear criticism'."""
    if question:
        return None
    for subject in cues.patient_subject.finditer(text):
        if not opens_clause(text, subject.start(), cues):
            continue
        end = len(text)
        brk = re.search(r"[,;:.!?]|\s-\s", text[subject.end() :])
        if brk:
            end = subject.end() + brk.start()
        clause = text[subject.start() : end]
        marker = cues.reproach.search(clause)
        if marker is None:
            continue
        if lexicon.negators.search(clause, 0, marker.start()):
            continue
        return subject.start(), subject.start() + marker.end()
    return None


def _manner_blame(text: str, cues: Cues, lexicon: Lexicon, question: bool) -> Span | None:
    """'No need for the sarcasm', 'please don't shout', 'being this demanding won't help'."""
    manner = cues.manner.search(text)
    if manner is None:
        return None
    rebuke = cues.rebuke.search(text)
    if rebuke is None:
        return None
    start = min(manner.start(), rebuke.start())
    return start, max(manner.end(), rebuke.end())


# ------------------------------------------------------------------ defence


def complaint_stems(patient_turn: str, cues: Cues, lexicon: Lexicon) -> set[str]:
    """Stems of what the patient claims about the therapist, which a denial could repeat.

    Only sentences addressed to the therapist count, and only claims: a negated sentence
    ("you never listen") or a rhetorical wh-question ("what could you possibly know?") is
    agreed with, not denied, by a negated reply ("I haven't lost a husband").
    """
    out: set[str] = set()
    for sentence in sentences(patient_turn):
        said = sentence.text
        if not cues.addressed.search(said) or lexicon.negators.search(said):
            continue
        if said.endswith("?") and cues.wh_word.match(said):
            continue
        out |= stems(said, cues)
    return out


def stems(text: str, cues: Cues) -> set[str]:
    """Content-word stems of a text, for comparing the reply with the complaint."""
    out: set[str] = set()
    for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower()):
        if len(word) < 4 or word in cues.stopwords:
            continue
        out.add(_stem(word, cues))
    return out


def _same_word(a: str, b: str) -> bool:
    """Same stem, or a shared head long enough for irregular forms ("forgot", "forget")."""
    if a == b:
        return True
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared >= 4 and shared >= min(len(a), len(b)) - 2


def _stem(word: str, cues: Cues) -> str:
    if word.startswith("ge") and len(word) > 6:
        word = word[2:]
    for suffix in cues.suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def defence(
    sentence: Sentence,
    cues: Cues,
    lexicon: Lexicon,
    complaint: set[str],
) -> Span | None:
    """Where the sentence defends the therapist rather than taking the complaint in."""
    text = sentence.text
    for finder in (_minimising, _hollow_apology):
        span = finder(text, cues, lexicon)
        if span is not None:
            return span
    return _denies_the_complaint(text, cues, lexicon, complaint)


def _minimising(text: str, cues: Cues, lexicon: Lexicon) -> Span | None:
    match = cues.minimising.search(text)
    if match is None or _negated_before(text, match.start(), lexicon):
        return None
    return match.span()


def _hollow_apology(text: str, cues: Cues, lexicon: Lexicon) -> Span | None:
    """An apology for how it seemed, or one taken back by a contrast in the same sentence."""
    match = cues.perception.search(text)
    if match is not None:
        return match.span()
    apology = cues.apology.search(text)
    if apology is not None:
        contrast = cues.apology_contrast.search(text, apology.end())
        if contrast is not None:
            return apology.start(), contrast.end()
    return None


def _denies_the_complaint(
    text: str, cues: Cues, lexicon: Lexicon, complaint: set[str]
) -> Span | None:
    """'I never take sides' after 'you took his side': the complaint denied in its own words."""
    if not complaint or text.rstrip().endswith("?"):
        return None
    for denial in cues.self_denial.finditer(text):
        if not opens_clause(text, denial.start(), cues) or cues.not_denial.match(
            text, denial.start()
        ):
            continue
        brk = re.search(r"[,;:.!?]|\s-\s", text[denial.end() :])
        end = denial.end() + brk.start() if brk else len(text)
        said = stems(text[denial.start() : end], cues)
        if any(_same_word(a, b) for a in said for b in complaint):
            return denial.start(), end
    return None


def after_apology(sentences: Iterable[Sentence], cues: Cues) -> list[tuple[Sentence, Sentence]]:
    """(apology, contrast) pairs: a sentence opening with a contrast right after an apology."""
    out: list[tuple[Sentence, Sentence]] = []
    previous: Sentence | None = None
    for sentence in sentences:
        if (
            previous is not None
            and cues.apology.search(previous.text)
            and cues.apology_contrast.match(sentence.text)
        ):
            out.append((previous, sentence))
        previous = sentence
    return out
