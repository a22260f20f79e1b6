"""Tests of the TICKscript language: lexer, parser, formatter, lambdas, functions, Go templates."""
