/*
 * auth.h
 *		The HTTP layer's authentication (auth.c).
 */
#ifndef EXPERIMENTS_AUTH_H
#define EXPERIMENTS_AUTH_H

/* auth.c: the API keys this backend saw accepted. */
extern void KeyCacheInit(void);

#endif							/* EXPERIMENTS_AUTH_H */
