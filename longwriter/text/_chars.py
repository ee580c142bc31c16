"""Unicode character classes shared by the text utilities (bodies of regex ``[...]`` classes)."""

HAN = "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
KANA = "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d"
HANGUL = "\uac00-\ud7a3"
# Latin letters: ASCII, Latin-1, Latin Extended-A/B and Latin Extended Additional (Vietnamese).
LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
# Characters that count as one word / token each.
CJK = HAN + KANA + HANGUL
# Combining marks that continue a word (Python's \w does not match them).
MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
    "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
)

# Typographic apostrophes as the ASCII one: models write "Here’s" as often as "Here's", and the
# word and phrase patterns are written with "'".
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
