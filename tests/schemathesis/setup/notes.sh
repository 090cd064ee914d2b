# Sourced by run.sh for the notes example: $1 the binary, $2 the database.
# The JWT issuer's key and the provider's secret come from the environment, as in a
# deployment; schemathesis calls as `fuzzer`, a user with every role, by Basic auth
# (and checks that requests without it are refused).
export NOTES_JWT_SECRET="schemathesis secret, at least thirty-two bytes long"
export NOTES_PROVIDER_SECRET="schemathesis provider secret"
printf '%s\n' "fuzzer password" |
  "$1" users add fuzzer --role admin --role editor --role writer --password-stdin --db "$2" > /dev/null
extra+=(--auth "fuzzer:fuzzer password")
