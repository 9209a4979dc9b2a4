/*
 * xxhash_inline.h
 *		xxHash taken inline, for the functions that hash once per row.
 *
 * xxHash's header carries its whole implementation; taken inline it saves a
 * call through the shared library's PLT on every hash, and lets the compiler
 * specialize XXH3 for the short strings units are. The answers are those of
 * the library's functions.
 */
#ifndef EXPERIMENTS_XXHASH_INLINE_H
#define EXPERIMENTS_XXHASH_INLINE_H

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeclaration-after-statement"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#define XXH_INLINE_ALL
#include <xxhash.h>
#pragma GCC diagnostic pop

#endif							/* EXPERIMENTS_XXHASH_INLINE_H */
