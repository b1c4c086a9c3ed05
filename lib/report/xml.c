/* XML text: the one escaper of JUnit, SVG and the XHTML report. */
#include "tars/report_xml.h"

#include "tars/str.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

bool tars_xml_forbidden(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

static void xml_byte(FILE *out, unsigned char c)
{
    switch (c) {
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '&': fputs("&amp;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    case '\n': fputs("&#10;", out); break;
    case '\t': fputs("&#9;", out); break;
    case '\r': fputs("&#13;", out); break;
    default:
        if (tars_xml_forbidden(c))
            fputs(REPLACEMENT, out);
        else
            fputc(c, out);
    }
}

void tars_xml_escape(FILE *out, const char *s)
{
    while (s && *s) {
        size_t n = tars_utf8_seq_len(s);

        if (n == 0) {
            fputs(REPLACEMENT, out);
            s++;
        } else if (n == 1) {
            xml_byte(out, (unsigned char)*s++);
        } else {
            fwrite(s, 1, n, out);
            s += n;
        }
    }
}
