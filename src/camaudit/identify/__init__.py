"""Identification: observations in, one identity per device out, with the evidence behind each value."""
