#!/bin/sh
# Renders users.acl from users.acl.template (comments dropped): each @<USER>_PASSWORD_SHA256@ becomes the SHA-256 of
# the password in $BATON_REDIS_PASSWORD_<USER> (e.g. BATON_REDIS_PASSWORD_POD_MANAGER). Fails,
# writing nothing, when a password is missing. Safe to run again.
#   BATON_REDIS_PASSWORD_PLANNER=… … ./render-acl.sh users.acl.template > users.acl
set -eu
template="${1:-$(dirname "$0")/users.acl.template}"
script=""
for placeholder in $(grep -o '@[A-Z_]*_PASSWORD_SHA256@' "$template" | sort -u); do
  user="${placeholder#@}"
  user="${user%_PASSWORD_SHA256@}"
  var="BATON_REDIS_PASSWORD_${user}"
  password="$(printenv "$var" || true)"
  if [ -z "$password" ]; then
    echo "render-acl: $var is not set (the password of Redis user $(echo "$user" | tr 'A-Z_' 'a-z-'))" >&2
    exit 1
  fi
  hash="$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)"
  script="${script}s/${placeholder}/${hash}/g;"
done
# Redis refuses comments in an ACL file: the template's are dropped.
sed "/^#/d;/^[[:space:]]*$/d;${script}" "$template"
