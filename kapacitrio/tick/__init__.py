"""TICKscript: grammar, syntax tree, formatter, lambda compiler, functions and Go templates."""
