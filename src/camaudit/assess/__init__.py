"""Assessment: identities in, findings with evidence and sources out."""
