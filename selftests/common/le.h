/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Little-endian field access for tests that build or read byte layouts by
 * hand (x86 only runs the bench, but the helpers do not assume it).
 */
#ifndef SELFTESTS_LE_H
#define SELFTESTS_LE_H

#include <stdint.h>

static inline uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

#endif /* SELFTESTS_LE_H */
