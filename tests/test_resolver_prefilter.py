"""Resolver.within passes over a banner none of whose words begins a catalogue or brand name: the same answer
as the word-by-word reading gives (camaudit.identify.declared.resolve.Resolver._may_name)."""

from __future__ import annotations

from camaudit.identify.declared.resolve import Resolver
from camaudit.identify.pipeline import Identifier

IDENTIFIER = Identifier.default()
RESOLVER = Resolver(IDENTIFIER.brands)


def test_the_first_word_prefilter_changes_no_answer() -> None:
    """Resolver.within passes over a banner none of whose words begins a catalogue or brand name: the same answer
    as reading it word by word, for every name the catalogue and the brand book list, written as they are, in
    capitals, in lower case, after a third party's word and inside other text."""
    texts = ["CN=10.0.0.1", "CN=cam-01.example.net, O=Example", "subject: CN=192.168.1.64", "", "a b c 1 2"]
    for maker in RESOLVER.catalogue:
        for name in (*maker.names, *(n for line in maker.product_lines for n in line.names)):
            texts += [name, name.upper(), name.lower(), f"Server {name}/1.0", f"powered by {name}",
                      f"CN={name.replace(' ', '')}Cam, O=x", f"{name}-IOS/12.1", f"cpe@{name.lower()}.com"]
    for brand in RESOLVER.brands.brands:
        for name in (brand.brand, *brand.aliases):
            texts += [name, name.upper(), f"O={name} Co., Ltd."]
    plain = Resolver(IDENTIFIER.brands)
    plain._may_name = lambda words: True  # type: ignore[method-assign]
    for text in texts:
        assert RESOLVER._within_text(text) == plain._within_text(text), text
