//! Test functions, each a real `lambda_runtime` client: `echo` answers with the event it got;
//! `fault` misbehaves as its FAULT environment variable says (crash, hang, malformed, error,
//! or init-exit).
