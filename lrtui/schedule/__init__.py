"""What a schedule is: the parameter language (params, expr), torch's schedulers and lrtui's recipes
declared once (specs, recipes), the optimizers, the catalogue that checks and builds them, and the
exact preview of a curve. Imports no torch at import time, and nothing above it."""
