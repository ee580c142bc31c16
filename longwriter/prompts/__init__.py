"""Prompt templates, one text file per prompt and language (``en/NAME.txt``, ``zh/NAME.txt``).

Templates use ``$name`` placeholders (``string.Template``), so braces in JSON examples need no escaping.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

LANGUAGES = ("en", "zh")


def prompt_language(language: str | None) -> str:
    """Map a detected document language to the prompt set that serves it (Chinese or English)."""
    return "zh" if language and language.lower().startswith("zh") else "en"


@cache
def _template(name: str, lang: str) -> Template:
    path = resources.files(__package__).joinpath(lang, f"{name}.txt")
    if not path.is_file():
        raise KeyError(f"no prompt template {name!r} for language {lang!r}")
    return Template(path.read_text(encoding="utf-8"))


def render(name: str, language: str | None = "en", /, **values: object) -> str:
    """Fill the template ``name`` in the prompt set for ``language``; every placeholder must be given."""
    lang = prompt_language(language)
    try:
        return _template(name, lang).substitute({k: str(v) for k, v in values.items()}).strip()
    except KeyError as exc:
        raise KeyError(f"prompt {name!r} ({lang}) needs a value for {exc.args[0]!r}") from None


@cache
def _language_names(lang: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(lang, "language_names.txt").read_text("utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def language_name(code: str, language: str | None = "en") -> str:
    """Human name of language ``code`` as written in the prompt set for ``language``."""
    return _language_names(prompt_language(language)).get(code, code)
