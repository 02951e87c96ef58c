#!/bin/bash
# Entrypoint of ordinal's mysql stand-in (MariaDB from Debian), modelled on the official
# mysql image's for what the examples need:
#  - `docker-entrypoint.sh mysqld [options]` (or only options) starts the server;
#    anything else is executed as given;
#  - on an empty datadir it initialises one, setting up root from MYSQL_ROOT_PASSWORD,
#    MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD (root@'%', or
#    MYSQL_ROOT_HOST, with all privileges; root@localhost, root@127.0.0.1 and root@::1 with
#    the same password), creates MYSQL_DATABASE and MYSQL_USER/MYSQL_PASSWORD, and runs
#    /docker-entrypoint-initdb.d/*.sql, *.sql.gz and *.sh;
#  - then it execs mysqld in the foreground as the mysql user, reading
#    /etc/mysql/conf.d/*.cnf (Debian's /etc/mysql/my.cnf includes that directory).
set -eo pipefail

log() { echo "$(date -u +%FT%TZ) [Entrypoint]: $*"; }
die() { log "ERROR: $*" >&2; exit 1; }

if [ "${1:0:1}" = - ]; then
  set -- mysqld "$@"
fi
if [ "$1" != mysqld ] && [ "$1" != mariadbd ]; then
  exec "$@"
fi

# server_option prints the value of option $1 as mysqld started with the remaining
# arguments would see it: the variables table at the end of `mysqld --verbose --help`
# has lines that start with the name (description lines are indented).
server_option() {
  local opt=$1; shift
  "$@" --verbose --help 2>/dev/null | awk -v opt="$opt" 'index($0, opt " ") == 1 { v = $2 } END { print v }'
}
DATADIR=$(server_option datadir "$@")
SOCKET=$(server_option socket "$@")
DATADIR=${DATADIR%/}
case "$DATADIR" in
  /?*) ;;
  *) die "mysqld --verbose --help gives datadir '$DATADIR', not an absolute path" ;;
esac
case "$SOCKET" in
  /?*/*) ;;
  *) die "mysqld --verbose --help gives socket '$SOCKET', not a file in a directory" ;;
esac

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
  # Volumes arrive owned by root, and so does a clone made by a backup tool run as root.
  find "$DATADIR" "$(dirname "$SOCKET")" \! -user mysql -exec chown mysql:mysql '{}' +
  set -- "$@" --user=mysql
fi

sql_escape() { printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g"; }

initialise() {
  if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ] && [ -z "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
    die "the database is uninitialised and no password option is set: set one of MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD"
  fi
  log "initialising the database in $DATADIR"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db --skip-name-resolve \
    --auth-root-authentication-method=normal >/dev/null
  log "starting a temporary server"
  local boot_socket
  boot_socket="$(dirname "$SOCKET")/init.sock"
  "$@" --skip-networking --skip-log-bin --socket="$boot_socket" &
  local pid=$!
  local client=(mariadb --protocol=socket --socket="$boot_socket" -uroot)
  local i started=false
  for i in $(seq 60); do
    if "${client[@]}" -e 'SELECT 1' >/dev/null 2>&1; then
      started=true
      break
    fi
    kill -0 "$pid" 2>/dev/null || die "the temporary server stopped"
    sleep 1
  done
  $started || die "the temporary server did not start in ${i}s"

  if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
    MYSQL_ROOT_PASSWORD=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
    log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi
  local pw host h
  pw=$(sql_escape "$MYSQL_ROOT_PASSWORD")
  host=$(sql_escape "${MYSQL_ROOT_HOST:-%}")
  {
    echo "SET @@SESSION.SQL_LOG_BIN = 0;"
    # mariadb-install-db made root@localhost, root@127.0.0.1, root@::1 and root@<hostname>.
    # The loopback ones stay: with skip-name-resolve they are what the official image's
    # root@localhost is to TCP clients on 127.0.0.1 (probes, side-cars). The hostname one
    # would never match.
    echo "DROP USER IF EXISTS 'root'@'$(sql_escape "$(hostname)")';"
    for h in localhost 127.0.0.1 ::1; do
      echo "ALTER USER IF EXISTS 'root'@'$h' IDENTIFIED BY '$pw';"
    done
    if [ "${MYSQL_ROOT_HOST:-%}" != localhost ]; then
      echo "CREATE USER 'root'@'$host' IDENTIFIED BY '$pw';"
      echo "GRANT ALL ON *.* TO 'root'@'$host' WITH GRANT OPTION;"
    fi
    if [ -n "$MYSQL_DATABASE" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    fi
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
      echo "CREATE USER '$(sql_escape "$MYSQL_USER")'@'%' IDENTIFIED BY '$(sql_escape "$MYSQL_PASSWORD")';"
      if [ -n "$MYSQL_DATABASE" ]; then
        echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$(sql_escape "$MYSQL_USER")'@'%';"
      fi
    fi
  } | "${client[@]}"
  # From here on root has the password given.
  client+=(--password="$MYSQL_ROOT_PASSWORD")
  if [ -n "$MYSQL_DATABASE" ]; then
    client+=("$MYSQL_DATABASE")
  fi

  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        log "running $f"
        # shellcheck source=/dev/null
        . "$f"
        ;;
      *.sql) log "running $f"; "${client[@]}" <"$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${client[@]}" ;;
      *) if [ -e "$f" ]; then log "ignoring $f"; fi ;;
    esac
  done

  log "stopping the temporary server"
  kill -TERM "$pid"
  wait "$pid" || die "the temporary server did not stop cleanly"
  log "initialisation done"
}

if [ ! -d "$DATADIR/mysql" ]; then
  initialise "$@"
fi
log "starting $*"
exec "$@"
