#!/usr/bin/env bash
# First sign-in of a user created by an administrator: answers NEW_PASSWORD_REQUIRED with a new
# password and prints the IdToken. Works against AWS, or the local stack when AWS_ENDPOINT_URL is
# set (e.g. AWS_ENDPOINT_URL=http://127.0.0.1:9229).
set -euo pipefail

usage() {
  cat >&2 <<USAGE
usage: $0 <user-pool-id> <client-id> <email> <temporary-password> [new-password]

Signs in with the temporary password (from the invitation email, or the local outbox),
sets the new password (default: Testing1) and prints the IdToken.
USAGE
  exit 2
}
[ $# -ge 4 ] && [ $# -le 5 ] || usage

pool_id=$1 client_id=$2 email=$3 temporary=$4 new_password=${5:-Testing1}
endpoint=()
[ -n "${AWS_ENDPOINT_URL:-}" ] && endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")

session=$(aws "${endpoint[@]}" cognito-idp initiate-auth \
  --client-id "$client_id" \
  --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters "USERNAME=$email,PASSWORD=$temporary" \
  --query Session --output text)
if [ -z "$session" ] || [ "$session" = "None" ]; then
  echo "$0: no NEW_PASSWORD_REQUIRED challenge: the password is already set; use scripts/login.sh" >&2
  exit 1
fi

aws "${endpoint[@]}" cognito-idp admin-respond-to-auth-challenge \
  --user-pool-id "$pool_id" \
  --client-id "$client_id" \
  --challenge-name NEW_PASSWORD_REQUIRED \
  --challenge-responses "NEW_PASSWORD=$new_password,USERNAME=$email" \
  --session "$session" \
  --query AuthenticationResult.IdToken --output text
