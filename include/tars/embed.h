/* Files compiled into the binary (see cmake/embed.cmake). */
#ifndef TARS_EMBED_H
#define TARS_EMBED_H

struct tars_embedded_file {
    const char *name; /* path relative to the embedded directory */
    const char *text;
};

#endif
