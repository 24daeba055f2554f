/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small, strict JSON parser for the selftests (the bench VM has no JSON
 * tool): RFC 8259 values into a tree, looked up by path ("a.b.0.c").
 * Numbers are kept as text and read as unsigned 64-bit integers.
 */
#ifndef SELFTEST_JSON_H
#define SELFTEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	char *key;		/* member name inside an object */
	char *str;		/* JSON_STR (unescaped), JSON_NUM (text) */
	bool b;
	size_t n;		/* JSON_ARR, JSON_OBJ: children */
	struct json **kids;
};

/* Parse all of @text (one value, surrounding whitespace allowed). */
struct json *json_parse(const char *text);
void json_free(struct json *j);
/* Member/element at @path ("regions.0.size"); NULL if absent. */
const struct json *json_get(const struct json *j, const char *path);
/* Typed lookups: false when absent or of another type. */
bool json_u64(const struct json *j, const char *path, uint64_t *v);
const char *json_str(const struct json *j, const char *path);
bool json_bool(const struct json *j, const char *path, bool *v);
/* Elements of an array at @path, or -1. */
long json_len(const struct json *j, const char *path);

#endif
