"""A subset of Go's text/template (and html/template escaping) compiled once into Python closures."""

from kapacitrio.tick.gotemplate.errors import TemplateError
from kapacitrio.tick.gotemplate.escape import html_escape
from kapacitrio.tick.gotemplate.gojson import go_json
from kapacitrio.tick.gotemplate.gotypes import GoDuration, GoMap, GoStruct, GoTime
from kapacitrio.tick.gotemplate.printf import go_sprintf
from kapacitrio.tick.gotemplate.template import Template

__all__ = [
    "GoDuration",
    "GoMap",
    "GoStruct",
    "GoTime",
    "Template",
    "TemplateError",
    "go_json",
    "go_sprintf",
    "html_escape",
]
