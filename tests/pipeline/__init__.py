"""Tests of pipeline building: node kinds, properties, vars, DOT output."""
