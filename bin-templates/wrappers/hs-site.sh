#!/bin/sh
# hs for the {{pool}} pipeline: the HyperShell CLI with this site's database and server settings
# built in, so `hs task search`, `hs submit`, ... can only ever reach this pool's task database.
# Rendered by `autopilot wrapper --pool {{pool}}` (checked by `autopilot check`); every placeholder
# is replaced by a shell-quoted value. Do not edit the rendered copy: change autopilot.toml and
# render it again.
#
# Optional template_vars: hs_command (the real hs, default "hs"), hypershell_site,
# server_bind, server_port, server_auth_file (a file holding the server key; read at run time).
set -eu

pool={{pool}}
hs_command={{hs_command:-hs}}
provider={{db_provider}}
db_file={{db_file}}
db_host={{db_host}}
db_port={{db_port}}
db_name={{db_name}}
db_user={{db_user}}
db_schema={{db_schema}}
db_password_file={{db_password_file}}
db_password_env={{db_password_env}}
site={{hypershell_site:-}}
server_bind={{server_bind:-}}
server_port={{server_port:-}}
server_auth_file={{server_auth_file:-}}

refuse() {
    echo "hs ($pool wrapper): '$1' would point hs at another database; this wrapper always uses the $pool pipeline's" >&2
    exit 2
}

# Options and settings that would choose another database or configuration.
first=${1:-}
second=${2:-}
for arg in "$@"; do
    case $arg in
        --database | --database=* | --db | --db=* | --db-* | --config-file | --config-file=*)
            refuse "$arg" ;;
        database.* | database)
            [ "$first" = config ] && [ "$second" = get ] || refuse "$arg" ;;
    esac
done

# Whatever the caller's environment says about the database is replaced, not merged.
for name in $(env | sed -n 's/^\(HYPERSHELL_DATABASE_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$name"
done

export HYPERSHELL_DATABASE_PROVIDER="$provider"
if [ "$provider" = sqlite ]; then
    if [ -z "$db_file" ]; then
        echo "hs ($pool wrapper): rendered without a database file" >&2
        exit 2
    fi
    export HYPERSHELL_DATABASE_FILE="$db_file"
else
    export HYPERSHELL_DATABASE_HOST="$db_host"
    [ -n "$db_port" ] && export HYPERSHELL_DATABASE_PORT="$db_port"
    [ -n "$db_name" ] && export HYPERSHELL_DATABASE_DATABASE="$db_name"
    [ -n "$db_user" ] && export HYPERSHELL_DATABASE_USER="$db_user"
    [ -n "$db_schema" ] && export HYPERSHELL_DATABASE_SCHEMA="$db_schema"
    # The password is read now, from where autopilot reads it; it is never written into this file.
    if [ -n "$db_password_file" ]; then
        HYPERSHELL_DATABASE_PASSWORD=$(cat -- "$db_password_file")
        export HYPERSHELL_DATABASE_PASSWORD
    elif [ -n "$db_password_env" ]; then
        eval "HYPERSHELL_DATABASE_PASSWORD=\${$db_password_env:-}"
        export HYPERSHELL_DATABASE_PASSWORD
    fi
fi

[ -n "$site" ] && export HYPERSHELL_SITE="$site"
[ -n "$server_bind" ] && export HYPERSHELL_SERVER_BIND="$server_bind"
[ -n "$server_port" ] && export HYPERSHELL_SERVER_PORT="$server_port"
if [ -n "$server_auth_file" ]; then
    HYPERSHELL_SERVER_AUTH=$(cat -- "$server_auth_file")
    export HYPERSHELL_SERVER_AUTH
fi

exec "$hs_command" "$@"
