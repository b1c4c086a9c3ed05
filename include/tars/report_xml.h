/*
 * Text inside the XML tars writes: the JUnit report, the SVG charts and the
 * XHTML release report. One rule for all three, so a check message or a
 * label reads the same in each.
 */
#ifndef TARS_REPORT_XML_H
#define TARS_REPORT_XML_H

#include <stdbool.h>
#include <stdio.h>

/* Whether byte c is a control character XML 1.0 cannot hold in any form:
 * below 0x20 except tab, newline and return, and DEL (0x7f, allowed by the
 * spec but never meant in a report). */
bool tars_xml_forbidden(unsigned char c);

/* Writes s as XML text, valid both in element content and in an attribute
 * value: &, <, >, " and ' as entity or character references; tab, newline
 * and return as character references (an attribute would turn a raw one
 * into a space); a forbidden control character and each byte that is not
 * part of well-formed UTF-8 as U+FFFD, so the reader sees that something
 * was there (dropping it silently would hide it). NULL writes nothing. */
void tars_xml_escape(FILE *out, const char *s);

#endif
