"""argv to a command to text: `main` (the parser and the exit policy) and the verbs."""
