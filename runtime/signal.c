/* Signal names and numbers, for every front end (ocirun kill, ctl kill). */
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "ocifs/engine.h"
#include "ocifs/util.h"

static const struct {
	const char *name; /* without "SIG" */
	int sig;
} signal_table[] = {
	{ "HUP", SIGHUP },       { "INT", SIGINT },       { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },       { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },       { "BUS", SIGBUS },       { "FPE", SIGFPE },
	{ "KILL", SIGKILL },     { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },     { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },      { "CONT", SIGCONT },     { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },
	{ "URG", SIGURG },       { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },     { "WINCH", SIGWINCH },
	{ "IO", SIGIO },         { "POLL", SIGPOLL },     { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

static bool prefix_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && strncasecmp(s, p, n) == 0;
}

int ocifs_signal_parse(const char *s, size_t len)
{
	long n;

	n = parse_uint_n(s, len, 64);
	if (n >= 0)
		return n >= 1 ? (int)n : -1;
	if (prefix_ci(s, len, "SIG")) {
		s += 3;
		len -= 3;
	}
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
		if (strlen(signal_table[i].name) == len &&
		    strncasecmp(s, signal_table[i].name, len) == 0)
			return signal_table[i].sig;
	if (prefix_ci(s, len, "RTMIN") || prefix_ci(s, len, "RTMAX")) {
		bool min = prefix_ci(s, len, "RTMIN");
		const char *r = s + 5;
		size_t rl = len - 5;
		long off = 0;

		if (rl > 0) {
			if (*r != (min ? '+' : '-'))
				return -1;
			off = parse_uint_n(r + 1, rl - 1, SIGRTMAX - SIGRTMIN);
			if (off < 0)
				return -1;
		}
		return min ? SIGRTMIN + (int)off : SIGRTMAX - (int)off;
	}
	return -1;
}
