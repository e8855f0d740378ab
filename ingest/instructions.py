"""Text in a paper that talks to an AI instead of its reader: recognised by what it does, in English and
Indonesian, whatever it is dressed in (issue 24).

``is_instruction(text)`` is true for a sentence that

- tells its reader to drop what it was told (*ignore / disregard / forget / override … the
  instructions, rules, prompt …*; *abaikan / lupakan / hiraukan / jangan ikuti … instruksi, perintah,
  arahan …*);
- addresses an AI, an assistant, a model, a chatbot or an LLM (*Note to the AI assistant reading
  this*, *If you are an AI language model*, *ChatGPT, please …*, *Catatan untuk asisten AI*, *Jika
  Anda adalah model bahasa*);
- gives it a new role or new orders (*you are now …*, *from now on you …*, *act as …*, *system
  prompt*, a leading ``SYSTEM:``, *reply only with …*, *tell the user that …*, *always cite …*;
  *mulai sekarang kamu …*, *katakan kepada pengguna …*).

Before matching, the text is normalised the way a reader would see it: NFKC, zero-width and other
format characters removed (``Ig\\u200bnore``), letters from other scripts that look Latin mapped to the
Latin ones (``Ignоre`` with a Cyrillic о), lower case, spaces folded; and a second pass looks at
the letters alone, so ``I g n o r e  a l l  p r e v i o u s`` is read too.

Ordinary prose about instructions is not flagged: *the ministry ignored the previous instructions*
(a past tense, not an order), *the mayor instructed the staff*, *pemerintah mengabaikan instruksi
pusat*. No sentence of the corpus is flagged (``tests/test_hostile.py``).
"""

from __future__ import annotations

import re
import unicodedata

# Letters of other scripts that look like Latin ones (Unicode's confusables, the common part).
_HOMOGLYPHS = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c", "Т": "t",
    "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "Ӏ": "l", "Ԁ": "d",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k",
    "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # Latin look-alikes
    "ı": "i", "ɡ": "g", "ɑ": "a", "ʟ": "l", "ɪ": "i", "ᴀ": "a", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g",
    "ʜ": "h", "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ℓ": "l",
})


def normalise(text: str) -> str:
    """``text`` as a reader sees it: NFKC, no format characters, Latin look-alikes made Latin, lower
    case, punctuation kept, white space folded."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn", "Me")
                   and not 0xFE00 <= ord(c) <= 0xFE0F)
    text = text.translate(_HOMOGLYPHS).lower()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- the words

_AI = (r"(?:a\.?i\.?|artificial intelligence|(?:ai |virtual |digital )?assistants?|(?:large )?language models?|"
       r"llms?|(?:ai |language |the )?models?|chat ?bots?|bots?|agents?|chat ?gpt|gpt(?:-?\d\w*)?|claude|gemini|"
       r"copilot|bard|llama|mistral|deepseek|qwen|grok|kecerdasan buatan|asisten(?: ai| virtual)?|"
       r"model bahasa(?: besar)?|mesin)")
_OBJ = (r"(?:instructions?|prompts?|rules?|guidelines?|directions?|directives?|commands?|guidance|orders?|"
        r"context|messages?|constraints?|polic(?:y|ies)|programming|system (?:prompt|message)|"
        r"safety (?:rules|guidelines)|instruksi|perintah|petunjuk|arahan|aturan|pedoman|pesan|konteks|"
        r"ketentuan|prompt)")
_DROP_VERB = (r"(?:ignore|disregard|forget|override|overrule|bypass|skip|discard|neglect|abandon|drop|"
              r"set aside|pay no (?:attention|heed) to|stop following|do not (?:follow|obey|heed)|"
              r"don't (?:follow|obey|heed)|never (?:follow|obey)|no longer (?:follow|obey))")
_DROP_VERB_ID = (r"(?:abaikan(?:lah)?|lupakan(?:lah)?|hiraukan|acuhkan|tinggalkan|lewati|kesampingkan|"
                 r"jangan (?:ikuti|hiraukan|pedulikan|patuhi|turuti|dengarkan|gubris)|"
                 r"tidak usah (?:mengikuti|ikuti|hiraukan)|berhenti mengikuti)")
# Where an imperative stands: the start of the text or of a clause, or after a word that softens it.
_LEAD = (r"(?:^|[.:;!?\-–—\"'(\[|>*#]\s*|\b(?:please|kindly|now|so|and|then|just|simply|first|also|instead|"
         r"you (?:must|should|shall|will|need to|have to|are to|are required to)|tolong|mohon|silakan|harap|"
         r"segera|sekarang|dan|lalu|kemudian)\s+)")

_PATTERNS = [
    # 1. drop what was said before
    rf"{_LEAD}{_DROP_VERB}\b(?:\s+\S+){{0,5}}?\s+{_OBJ}\b",
    rf"\b{_DROP_VERB}\s+(?:all|any|every|each|the|your|my|these|those|its|earlier|previous|prior|above|"
    rf"preceding|foregoing|original|initial|other)\b(?:\s+\S+){{0,4}}?\s+{_OBJ}\b",
    rf"\b{_DROP_VERB_ID}\b(?:\s+\S+){{0,5}}?\s+{_OBJ}\b",
    rf"\b{_DROP_VERB}\s+(?:everything|all) (?:above|before|previously|you (?:were|have been) (?:told|given))",
    r"\b(?:abaikan|lupakan)(?:lah)? (?:semua|segala|seluruh)(?:nya)?\b",
    # 2. addressed to an AI
    rf"\b(?:note|message|instructions?|attention|reminder|memo|notice|hint|request|warning|a word|p\.?s\.?)"
    rf"(?: \w+)? (?:to|for) (?:the |any |all |every |an? |you, )?(?:\w+ )?{_AI}\b",
    rf"\b(?:dear|hey|hi|hello|attention|attn|to) {_AI}\s*[,:!]",
    rf"(?:^|[.:;!?]\s*){_AI}\s*[,:]\s*(?:please|you|ignore|do|don't|never|always|say|tell|answer|respond|reply|"
    rf"write|output|print|summari[sz]e|rate|rank|recommend|state|describe|give|mention|include|treat|"
    rf"remember|consider|make|use|cite|quote|tolong|mohon|jawab|katakan|tulis|abaikan)\b",
    rf"\bif (?:you are|you're|you were) (?:an? |the |any )?(?:\w+ )?{_AI}\b",
    r"\b(?:as|being) an? (?:\w+ )?(?:a\.?i\.?|language model|llm|chat ?bot|assistant)\b,",
    r"\b(?:you are|you're|you will be|you'll be) (?:now |no longer |henceforth )?(?:an? |the |my )?"
    r"(?:\w+ ){0,2}(?:a\.?i\.?|assistant|language model|llm|chat ?bot|bot|model|gpt)\b",
    rf"\b(?:any|every|all|an?|the) {_AI} (?:that is |who is |which is )?(?:reading|processing|summari[sz]ing|"
    rf"analy[sz]ing|parsing|scanning|reviewing|evaluating|indexing|answering|asked about) (?:this|these|the "
    rf"following)\b",
    rf"\b{_AI} (?:reading|processing|summari[sz]ing|analy[sz]ing) this\b",
    rf"\b(?:catatan|pesan|perhatian|petunjuk|instruksi|pemberitahuan|peringatan|permintaan) "
    rf"(?:\w+ )?(?:untuk|kepada|bagi|buat) (?:para |semua |setiap |sang )?{_AI}\b",
    rf"\b(?:jika|apabila|kalau|bila) (?:anda|kamu|engkau) (?:adalah |merupakan |ialah )?(?:sebuah |seorang |suatu )?"
    rf"{_AI}\b",
    rf"\b(?:anda|kamu|engkau) (?:sekarang |kini |mulai sekarang )?(?:adalah|merupakan|ialah|menjadi|berperan sebagai) "
    rf"(?:sebuah |seorang |suatu )?{_AI}\b",
    rf"\b{_AI} (?:yang )?(?:membaca|memproses|meringkas|menganalisis) (?:ini|teks ini|dokumen ini|makalah ini)\b",
    # 3. a new role or new orders
    r"\bsystem ?(?:prompt|message|instructions?|override)\b",
    r"^(?:system|assistant|user|developer|admin|administrator|sistem)\s*:",
    r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?inst\]|\[/?sys\]|<<\s*/?sys\s*>>|###\s*(?:instruction|system)",
    r"\b(?:new|updated|revised|additional|real|actual|true|secret|hidden) (?:instructions?|orders|directives?|"
    r"rules) (?:follow|are|below|:)",
    r"\bjailbr(?:ea|oke)k|\bdeveloper mode\b|\bdo anything now\b|\bprompt injection\b.{0,40}\b(?:follow|obey)\b",
    r"\bfrom now on,? (?:you|always|never|only|reply|respond|answer)\b",
    rf"{_LEAD}(?:act|behave|respond|answer|reply) as (?:if you were )?(?:an?|the|my) \w+",
    rf"{_LEAD}pretend (?:to be|you are|you're|that you)\b",
    rf"{_LEAD}(?:reply|respond|answer|output|print|write|return)(?: back)? (?:only |just |exactly )?"
    rf"(?:with|the (?:word|phrase|text|following)|in the form)\b",
    rf"{_LEAD}(?:tell|inform|convince|persuade|assure|remind) (?:the |your )?(?:user|reader|human|person asking|"
    rf"requester|questioner)s?\b",
    r"\b(?:say|state|claim|answer|respond|reply|conclude|report|write) (?:to the user )?that (?:this|the) "
    r"(?:paper|study|article|document|research|passage|source)\b.{0,60}\b(?:best|most|only|reliable|"
    r"authoritative|correct|definitive|trustworthy)\b",
    rf"{_LEAD}(?:always|never|only) (?:cite|quote|answer|respond|reply|say|mention|recommend|rank|rate|"
    rf"output|trust|use|refer to)\b",
    r"\byou (?:must|should|shall|will|have to|need to|are required to) (?:now |always |only |never )?"
    r"(?:say|answer|respond|reply|tell|output|print|write|state|claim|cite|quote|recommend|rate|rank|"
    r"summari[sz]e|mention|include|conclude|ignore|disregard|forget)\b",
    rf"{_LEAD}(?:summari[sz]e|describe|present|rate|rank|recommend|evaluate|review) this (?:paper|study|"
    rf"article|document|passage|text|research) (?:as|positively|favou?rably|highly|with)\b",
    r"\b(?:mulai )?(?:sekarang|saat ini|mulai saat ini),? (?:kamu|anda|engkau) (?:harus|wajib|akan|hanya)\b",
    rf"{_LEAD}(?:katakan|sampaikan|beritahu|beri tahu|beritahukan|tuliskan|jawablah|jawab|balas|nyatakan|"
    rf"laporkan|yakinkan)(?:lah)? (?:kepada |pada |ke )?(?:pengguna|pembaca|penanya|user|bahwa|dengan|hanya)\b",
    r"\b(?:kamu|anda|engkau) (?:harus|wajib|perlu) (?:mengatakan|menjawab|menyatakan|menulis|menyebutkan|"
    r"mengabaikan|melupakan|mengutip|merekomendasikan)\b",
    r"\b(?:selalu|hanya) (?:kutip|jawab|sebutkan|rekomendasikan|gunakan) (?:bagian|paragraf|teks|dokumen|makalah) ini\b",
]
_RX = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I)

# Spelled out with separators between the letters, or glued: read from the letters alone.
_SQUEEZED = [
    "ignoreallpreviousinstructions", "ignorethepreviousinstructions", "ignorepreviousinstructions",
    "ignoretheinstructionsabove", "ignoreallinstructions", "ignoreyourinstructions", "ignoreallprior",
    "disregardallpreviousinstructions", "disregardpreviousinstructions", "disregardtheabove",
    "forgetallpreviousinstructions", "forgetyourinstructions", "forgeteverythingabove",
    "notetotheaiassistant", "notetotheai", "ifyouareanai", "ifyouarealanguagemodel", "ifyouareanllm",
    "systemprompt", "abaikansemuainstruksi", "abaikaninstruksi", "abaikansemuaperintah",
    "lupakansemuainstruksi", "lupakansemuaperintah", "catatanuntukasisten", "catatanuntukai",
    "jikaandaadalahai", "jikaandaadalahasisten", "jikaandaadalahmodel",
]
_SQUEEZE_RX = re.compile("|".join(_SQUEEZED))
_SPACED = re.compile(r"(?:\b\w[\s._*\-·•|/\\]+){5,}\w\b")  # "i g n o r e", "i.g.n.o.r.e"


def is_instruction(text: str) -> bool:
    """Whether ``text`` (a sentence, or a few) speaks to an AI rather than to its reader: never an
    answer, never quoted, and in an LLM's prompt only ever inside the delimited passages."""
    if not text or not text.strip():
        return False
    norm = normalise(text)
    if _RX.search(norm):
        return True
    # Letters split apart by spaces or punctuation: join each such run, and look again.
    joined = _SPACED.sub(lambda m: re.sub(r"[\s._*\-·•|/\\]+", "", m.group()) + " ", norm)
    if joined != norm and _RX.search(joined):
        return True
    # Letters glued or split unevenly ("Ig nore all prev ious instructions"): the letters alone, a phrase
    # starting where a word starts ("mengabaikan instruksi" holds "abaikaninstruksi", but not at a word's start)
    letters, starts, prev = [], set(), False
    for ch in joined:
        if "a" <= ch <= "z":
            if not prev:
                starts.add(len(letters))
            letters.append(ch)
            prev = True
        elif ch.isalnum():
            prev = True
        else:
            prev = False
    return any(m.start() in starts for m in _SQUEEZE_RX.finditer("".join(letters)))
