/*
 * TARS_DASSERT(cond): a debug-build assertion of an internal invariant (a
 * caller's contract or a structure's consistency), never a check of input.
 * With NDEBUG (release and RelWithDebInfo builds) it compiles to nothing and
 * cond is not evaluated: it stands after "0 &&", so it is type-checked and
 * counts as a use (clang warns of a static helper that only an unevaluated
 * sizeof names). In Debug builds (the sanitizer build, so the whole test
 * suite runs with them) a false cond aborts via assert() naming the file,
 * line and expression.
 */
#ifndef TARS_DASSERT_H
#define TARS_DASSERT_H

#ifdef NDEBUG
#define TARS_DASSERT(cond) ((void)(0 && (cond)))
#else
#include <assert.h>
#define TARS_DASSERT(cond) assert(cond)
#endif

#endif
