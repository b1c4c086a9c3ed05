/*
 * Functions this project does not call, made to fail at compile time with
 * their name in the error ("sorry_strcpy_is_a_banned_function"). The build
 * force-includes this file into every translation unit of lib/ and src/
 * (cmake/Warnings.cmake), so it first includes the system headers that
 * declare them: their declarations are then already read, and the macros
 * only catch our own calls. Use instead:
 *   sprintf, vsprintf   snprintf/vsnprintf with the buffer's size, or tars_buf_printf
 *   strcpy, strncpy     tars_strlcpy, or memcpy of a length already known
 *   strcat              snprintf, or memcpy at a known offset
 *   atoi                tars_parse_i64 (range-checked, rejects trailing text)
 *   strtok              strtok_r, or a loop on strchr (strtok keeps hidden state)
 */
#ifndef TARS_BANNED_H
#define TARS_BANNED_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARS_BANNED(func) sorry_##func##_is_a_banned_function

#undef sprintf
#define sprintf(...) TARS_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) TARS_BANNED(vsprintf)
#undef strcpy
#define strcpy(x, y) TARS_BANNED(strcpy)
#undef strncpy
#define strncpy(x, y, n) TARS_BANNED(strncpy)
#undef strcat
#define strcat(x, y) TARS_BANNED(strcat)
#undef atoi
#define atoi(x) TARS_BANNED(atoi)
#undef strtok
#define strtok(x, y) TARS_BANNED(strtok)

#endif
