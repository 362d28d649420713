/*
 * err.h: the one error enum of latchkey.
 *
 * Fallible functions return an enum lk_err and deliver results through
 * out-parameters, which they leave untouched on failure.  Only http.c maps
 * an error to an HTTP status and a JSON body.
 */
#ifndef LK_ERR_H
#define LK_ERR_H

#define LK_MUST_CHECK __attribute__((warn_unused_result))

enum lk_err {
	LK_OK = 0,
	LK_EINVAL,	/* malformed input */
	LK_ETOOBIG,	/* input over a named limit */
	LK_ENOMEM,	/* allocation failed */
	LK_ENOTFOUND,	/* absent, or not visible to the caller */
	LK_EEXPIRED,	/* credential past its expiry */
	LK_EREVOKED,	/* credential revoked */
	LK_EDENIED,	/* authenticated but not allowed */
	LK_ECONFLICT,	/* unique or state conflict */
	LK_EDB,		/* database error other than unavailability */
	LK_EUNAVAIL,	/* database unreachable */
	LK_ECRYPTO,	/* crypto library failure */
	LK_EIO,		/* system call failure */
	LK_ERR_COUNT
};

/* Returns a static, human-readable name of the error; never NULL. */
const char	*lk_err_str(enum lk_err);

#endif
