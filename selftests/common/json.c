// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small, strict JSON parser for the selftests (see json.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char *p;
	int depth;
};

static void ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	       *ps->p == '\r')
		ps->p++;
}

static int hex4(const char *s, unsigned int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' :
				(tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return 0;
}

/* A string at ps->p (after the quote); only BMP escapes below 0x80 and
 * plain UTF-8 bytes are kept as they are.
 */
static char *parse_string(struct parser *ps)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);
	unsigned int u;

	if (!s)
		return NULL;
	for (;;) {
		char c = *ps->p++;

		if (n + 4 >= cap) {
			char *t = realloc(s, cap *= 2);

			if (!t)
				goto bad;
			s = t;
		}
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20)
			goto bad;	/* also the end of the text */
		if (c != '\\') {
			s[n++] = c;
			continue;
		}
		c = *ps->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			s[n++] = c;
			break;
		case 'b':
			s[n++] = '\b';
			break;
		case 'f':
			s[n++] = '\f';
			break;
		case 'n':
			s[n++] = '\n';
			break;
		case 'r':
			s[n++] = '\r';
			break;
		case 't':
			s[n++] = '\t';
			break;
		case 'u':
			if (hex4(ps->p, &u) || !u || u >= 0x80)
				goto bad;	/* the CLI escapes only ASCII */
			ps->p += 4;
			s[n++] = (char)u;
			break;
		default:
			goto bad;
		}
	}
	s[n] = '\0';
	return s;
bad:
	free(s);
	return NULL;
}

static struct json *parse_value(struct parser *ps);

static int add_kid(struct json *j, struct json *k)
{
	struct json **t = realloc(j->kids, (j->n + 1) * sizeof(*t));

	if (!t)
		return -1;
	j->kids = t;
	j->kids[j->n++] = k;
	return 0;
}

static struct json *parse_container(struct parser *ps, struct json *j,
				    char close)
{
	bool obj = close == '}';

	ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *k;

		ws(ps);
		if (obj) {
			if (*ps->p++ != '"')
				goto bad;
			key = parse_string(ps);
			if (!key)
				goto bad;
			ws(ps);
			if (*ps->p++ != ':') {
				free(key);
				goto bad;
			}
		}
		k = parse_value(ps);
		if (!k) {
			free(key);
			goto bad;
		}
		k->key = key;
		if (add_kid(j, k)) {
			json_free(k);
			goto bad;
		}
		ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p++ == close)
			return j;
		goto bad;
	}
bad:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *ps)
{
	struct json *j;
	const char *start;

	if (++ps->depth > 64)
		return NULL;
	ws(ps);
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	switch (*ps->p) {
	case '{':
	case '[':
		j->type = *ps->p == '{' ? JSON_OBJ : JSON_ARR;
		ps->p++;
		j = parse_container(ps, j, j->type == JSON_OBJ ? '}' : ']');
		break;
	case '"':
		ps->p++;
		j->type = JSON_STR;
		j->str = parse_string(ps);
		if (!j->str) {
			free(j);
			j = NULL;
		}
		break;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "null", 4)) {
			j->type = *ps->p == 't' ? JSON_BOOL : JSON_NULL;
			j->b = *ps->p == 't';
			ps->p += 4;
		} else if (!strncmp(ps->p, "false", 5)) {
			j->type = JSON_BOOL;
			ps->p += 5;
		} else {
			free(j);
			j = NULL;
		}
		break;
	default:
		start = ps->p;
		if (*ps->p == '-')
			ps->p++;
		if (!isdigit((unsigned char)*ps->p) ||
		    (*ps->p == '0' && isdigit((unsigned char)ps->p[1]))) {
			free(j);
			j = NULL;
			break;
		}
		while (isdigit((unsigned char)*ps->p) || *ps->p == '.' ||
		       *ps->p == 'e' || *ps->p == 'E' || *ps->p == '+' ||
		       *ps->p == '-')
			ps->p++;
		j->type = JSON_NUM;
		j->str = strndup(start, ps->p - start);
		if (!j->str) {
			free(j);
			j = NULL;
		}
	}
	ps->depth--;
	return j;
}

struct json *json_parse(const char *text)
{
	struct parser ps = { .p = text };
	struct json *j = parse_value(&ps);

	if (!j)
		return NULL;
	ws(&ps);
	if (*ps.p) {
		json_free(j);
		return NULL;
	}
	return j;
}

void json_free(struct json *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++)
		json_free(j->kids[i]);
	free(j->kids);
	free(j->key);
	free(j->str);
	free(j);
}

const struct json *json_get(const struct json *j, const char *path)
{
	char part[128];
	size_t len, i;
	char *end;

	while (j && *path) {
		len = strcspn(path, ".");
		if (len >= sizeof(part))
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		path += len + (path[len] == '.');
		if (j->type == JSON_OBJ) {
			const struct json *found = NULL;

			for (i = 0; i < j->n; i++)
				if (!strcmp(j->kids[i]->key, part))
					found = j->kids[i];
			j = found;
		} else if (j->type == JSON_ARR) {
			i = strtoul(part, &end, 10);
			j = *end || i >= j->n ? NULL : j->kids[i];
		} else {
			return NULL;
		}
	}
	return j;
}

bool json_u64(const struct json *j, const char *path, uint64_t *v)
{
	char *end;

	j = json_get(j, path);
	if (!j || j->type != JSON_NUM || j->str[0] == '-')
		return false;
	errno = 0;
	*v = strtoull(j->str, &end, 10);
	return !errno && !*end;
}

const char *json_str(const struct json *j, const char *path)
{
	j = json_get(j, path);
	return j && j->type == JSON_STR ? j->str : NULL;
}

bool json_bool(const struct json *j, const char *path, bool *v)
{
	j = json_get(j, path);
	if (!j || j->type != JSON_BOOL)
		return false;
	*v = j->b;
	return true;
}

long json_len(const struct json *j, const char *path)
{
	j = json_get(j, path);
	return j && j->type == JSON_ARR ? (long)j->n : -1;
}
