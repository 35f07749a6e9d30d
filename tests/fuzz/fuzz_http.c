/* libFuzzer harness: the HTTP request parser (fs/http_parse.c) on arbitrary
 * bytes, as received by the daemon's HTTP front end.
 * http_parse_head() must ask for more (0), give a head length within the
 * input and the head limit with sane fields, or fail with 400/413/431 and a
 * one-line reason; the same head cut at its length must parse the same.
 * Each target it yields, and the whole input as a target, goes through
 * http_parse_target(), whose ids must pass ocifs_id_valid().  Anything else
 * aborts.  Seeds: tests/fuzz/corpus/http/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "ocifs/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool one_line(const char *s)
{
	if (!s || s[0] == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void check_target(const char *target)
{
	struct http_target t;
	const char *why = NULL;
	int st = http_parse_target(target, &t, &why);

	if (!why)
		abort();
	if (st != 0) {
		if ((st != 400 && st != 404) || !one_line(why))
			abort();
		return;
	}
	switch (t.kind) {
	case TARGET_LIST:
		if (t.id[0] || t.file[0])
			abort();
		break;
	case TARGET_ROOT_FILE:
		if (t.id[0] || !t.file[0] || strchr(t.file, '/'))
			abort();
		break;
	case TARGET_CTR_DIR:
		if (!ocifs_id_valid(t.id) || t.file[0])
			abort();
		break;
	case TARGET_CTR_FILE:
		if (!ocifs_id_valid(t.id) || !t.file[0] || strchr(t.file, '/'))
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_request req, again;
	char *copy;
	int r = http_parse_head(buf, size, &req);

	if (r < 0) {
		if ((r != -400 && r != -413 && r != -431) || !one_line(req.error))
			abort();
	} else if (r > 0) {
		if ((size_t)r > size || r > HTTP_HEAD_MAX || (size_t)r != req.head_len ||
		    !req.target[0] || req.content_length > HTTP_BODY_MAX ||
		    (req.has_auth && !req.token[0]))
			abort();
		if (http_parse_head(buf, (size_t)r, &again) != r ||
		    strcmp(again.target, req.target) != 0 ||
		    again.content_length != req.content_length)
			abort();
		check_target(req.target);
	} else if (size >= HTTP_HEAD_MAX) {
		abort(); /* a head that long is never "more, please" */
	}
	/* the whole input as a target string */
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	check_target(copy);
	free(copy);
	return 0;
}
