/* Spec names of capabilities and rlimits (process.h): "CAP_SYS_ADMIN" <-> 21
 * through libcap, "RLIMIT_NOFILE" -> RLIMIT_NOFILE through a table. */
#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "process.h"
#include "ocifs/util.h"

#define CAP_TABLE_MAX 64
#define CAP_NAME_MAX 40

static char cap_names[CAP_TABLE_MAX][CAP_NAME_MAX];
static pthread_once_t cap_names_once = PTHREAD_ONCE_INIT;

/* libcap spells names in lower case ("cap_chown"); numbers it does not know
 * come back as digits and stay out of the table. */
static void cap_names_init(void)
{
	for (int i = 0; i < CAP_TABLE_MAX; i++) {
		char *n = cap_to_name((cap_value_t)i);
		if (!n)
			continue;
		if (strncmp(n, "cap_", 4) == 0 && strlen(n) < CAP_NAME_MAX) {
			for (size_t j = 0; n[j]; j++)
				cap_names[i][j] = (char)toupper((unsigned char)n[j]);
		}
		cap_free(n);
	}
}

int caps_from_name(const char *name)
{
	cap_value_t v;

	/* Spec names only: "CAP_" then upper case letters, digits, '_'. */
	if (strncmp(name, "CAP_", 4) != 0 || name[4] == '\0')
		return -1;
	for (const char *p = name + 4; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return -1;
	if (cap_from_name(name, &v) < 0 || v < 0 || v >= CAP_TABLE_MAX)
		return -1;
	return (int)v;
}

const char *caps_to_name(int cap)
{
	if (cap < 0 || cap >= CAP_TABLE_MAX)
		return NULL;
	pthread_once(&cap_names_once, cap_names_init);
	return cap_names[cap][0] ? cap_names[cap] : NULL;
}

int caps_last_cap(void)
{
	int bits = (int)cap_max_bits();

	if (bits <= 0 || bits > CAP_TABLE_MAX)
		bits = CAP_LAST_CAP + 1;
	return bits - 1;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}
