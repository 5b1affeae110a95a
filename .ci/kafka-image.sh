#!/usr/bin/env bash
# Builds a local image of real Apache Kafka without a registry:
#
#   .ci/kafka-image.sh [IMAGE] [VERSION]      e.g. .ci/kafka-image.sh kafka-scenario/kafka:4.1.1
#
# IMAGE defaults to kafka-scenario/kafka:VERSION, VERSION to 4.1.1 (3.9.1 works too). As in
# nisshi-image.sh, the image is a root filesystem directory imported with `docker import`:
#   /opt/kafka          the distribution tools/kafka/assemble made from Maven Central (libs/, config/)
#   /opt/java/openjdk   the host's OpenJDK (Debian's has symlinks into /etc/java-17-openjdk, so
#                       they are dereferenced), and the C libraries it links against (found by ldd)
#   /bin                a static busybox: sh and the usual tools, `bash` as a wrapper around its sh
#   /etc/kafka/docker/run  a POSIX sh script standing in for the apache/kafka image's start script
# It mimics the apache/kafka (JVM) image as far as the two ways the harness starts it need:
#  - testcontainers-modules' Apache Kafka module runs `bash -c` (entrypoint bash) waiting for
#    /opt/kafka/testcontainers_start.sh, which it writes with `sh -c "echo ... > FILE"`; that
#    script (`#!/usr/bin/env bash`) exports KAFKA_ADVERTISED_LISTENERS and runs
#    /etc/kafka/docker/run. The module then waits for "Kafka Server started" on stdout.
#  - start_kraft_cluster (src/cluster/container.rs) uses /etc/kafka/docker/run as entrypoint
#    for every node of a KRaft quorum, configured by KAFKA_* variables only.
# Like the real image, run turns every KAFKA_* variable (except the JVM/log ones) into a
# server.properties entry (KAFKA_FOO_BAR -> foo.bar, `__` -> `_`, `___` -> `-`, as
# kafka.docker.KafkaDockerWrapper does), formats the storage with CLUSTER_ID and starts the
# broker in the foreground, logging to stdout. Like it, it ships class-data-sharing archives
# made by starting the broker once at build time (on 2 cores a single node then reaches
# "Kafka Server started" in ~3.5 s instead of ~6-7 s, three nodes in ~11-13 s instead of ~15-18 s).
# Unlike it: it runs as root, on the host's Java 17 instead of Temurin 21, with -Xmx512m
# instead of 1 GB, and the data lives in /var/lib/kafka/data (not a declared volume, so
# removing a container leaves nothing behind).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${2:-4.1.1}
image=${1:-kafka-scenario/kafka:$version}
kafka=$(tools/kafka/assemble "$version")
# The JDK of the `java` on PATH (Debian 12: OpenJDK 17), or KAFKA_IMAGE_JDK.
java=$(readlink -f "$(command -v java)")
jdk=${KAFKA_IMAGE_JDK:-${java%/bin/java}}
busybox=$(command -v busybox)
[[ -x $jdk/bin/java && -f $jdk/lib/modules ]] || { echo "no JDK at $jdk" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  echo "$busybox is not static (apt-get install busybox-static)" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/kafka/docker,etc/kafka/secrets,mnt/shared/config} \
  "$root"/{opt/java,var/lib/kafka/data,root,tmp,lib64}
chmod 1777 "$root/tmp"

# Userland: every busybox applet, /usr/bin/env for the `#!/usr/bin/env bash` of the module's
# start script, and `bash` as busybox's sh (the module's scripts use nothing beyond POSIX sh).
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
ln -s ../../bin/busybox "$root/usr/bin/env"
printf '#!/bin/sh\nexec /bin/busybox sh "$@"\n' >"$root/bin/bash"
chmod 755 "$root/bin/bash"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

# The Java runtime: the JDK without what only compiling or a desktop needs. Copied as it is,
# then every symlink (Debian points conf/, lib/jvm.cfg, lib/security/* into /etc) replaced by
# what it points to on this host, or dropped when that does not exist (lib/src.zip).
java_home=$root/opt/java/openjdk
mkdir -p "$java_home/bin"
cp -a "$jdk"/{conf,lib,release} "$java_home/"
[[ -d $jdk/legal ]] && cp -a "$jdk/legal" "$java_home/"
cp -a "$jdk/bin/java" "$jdk/bin/keytool" "$java_home/bin/"
find "$java_home" -type l | while read -r link; do
  target=$(readlink -f "$jdk${link#"$java_home"}" || true)
  rm "$link"
  if [[ -n $target && -e $target ]]; then cp -rL "$target" "$link"; fi
done
rm -f "$java_home"/lib/{ct.sym,src.zip,libawt_xawt.so,libsplashscreen.so,libjsound.so,libatk-wrapper.so,libjawt.so}
# The JDK's default class-data-sharing archive for heaps over 32 GB; -Xmx512m uses the other.
rm -f "$java_home"/lib/server/classes_nocoops.jsa
# C libraries of java and of the JDK's own libraries (its libjli and libjvm are found through
# their RPATH), plus glibc's compatibility libraries, which the native code inside Kafka's jars
# (zstd-jni, snappy, lz4) may ask for when it is unpacked into /tmp at run time.
libc=$(ldd "$jdk/bin/java" | grep -o '/[^ ]*/libc\.so\.6')
{
  find "$java_home" -name '*.so' -print0 | xargs -0 ldd "$java_home/bin/java" 2>/dev/null || true
  for compat in libpthread.so.0 libdl.so.2 librt.so.1 libm.so.6; do
    if [[ -e ${libc%/*}/$compat ]]; then echo "${libc%/*}/$compat"; fi
  done
} | grep -o '/[^ ]*' | grep -v -e "^$java_home" -e ':$' | sort -u | while read -r library; do
  [[ -e $root$library ]] && continue
  mkdir -p "$root$(dirname "$library")"
  cp -L "$library" "$root$library"
done
ln -s ../opt/java/openjdk/bin/java "$root/usr/bin/java"

# Kafka: the assembled distribution. The distribution's console log configuration is kept in
# /etc/kafka/docker, where run picks it up (the real image keeps its defaults there too).
mkdir -p "$root/opt/kafka/config"
cp -rL "$kafka/libs" "$root/opt/kafka/libs"
if compgen -G "$kafka/libs/log4j-core-*.jar" >/dev/null; then
  cp -L "$kafka/config/log4j2.properties" "$root/etc/kafka/docker/log4j2.properties"
else
  cp -L "$kafka/config/log4j.properties" "$root/etc/kafka/docker/log4j.properties"
fi
# The configuration run uses when no KAFKA_* variable is set: a single combined node, as the
# real image's default server.properties (Kafka's own KRaft quickstart, listening on all
# interfaces).
cat >"$root/etc/kafka/docker/server.properties" <<'PROPS'
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.dirs=/var/lib/kafka/data
PROPS

cat >"$root/etc/kafka/docker/run" <<'RUN'
#!/bin/sh
# Starts Apache Kafka configured from the environment, as the apache/kafka image's
# /etc/kafka/docker/run does (there: bash, and kafka.docker.KafkaDockerWrapper writing
# /opt/kafka/config). Arguments NAME=VALUE are exported first, as there.
# shellcheck disable=SC2018,SC2019,SC2046,SC2086,SC2154,SC2163  # *_OPTS split on purpose
set -eu
for assignment in "$@"; do export "$assignment"; done

echo "===> Configuring ..."
if [ -z "${CLUSTER_ID:-}" ]; then
  echo 'CLUSTER_ID not set. Setting it to default value: "5L6g3nShT-eMCtK--X86sw"'
  export CLUSTER_ID=5L6g3nShT-eMCtK--X86sw
fi
if [ "${KAFKA_PROCESS_ROLES:-}" = controller ] && [ -n "${KAFKA_ADVERTISED_LISTENERS:-}" ]; then
  echo "KAFKA_ADVERTISED_LISTENERS is not supported on a KRaft controller."
  exit 1
fi
# Without KAFKA_LISTENERS a broker listens where it advertises, on every interface.
if [ -z "${KAFKA_LISTENERS:-}" ] && [ -n "${KAFKA_ADVERTISED_LISTENERS:-}" ] &&
  [ "${KAFKA_PROCESS_ROLES:-}" != controller ]; then
  KAFKA_LISTENERS=$(echo "$KAFKA_ADVERTISED_LISTENERS" | sed -e 's|://[^:]*:|://0.0.0.0:|g')
  export KAFKA_LISTENERS
fi

# server.properties: a mounted /mnt/shared/config/server.properties plus the KAFKA_* entries,
# else the KAFKA_* entries alone, else the default. KAFKA_LOG_FLUSH__INTERVAL_MS style names:
# drop KAFKA_, lower case, `_` -> `.`, then `...` -> `-` and `..` -> `_`.
config=/opt/kafka/config
mkdir -p "$config"
entries=$config/.from-env
: >"$entries"
for name in $(env | sed -n 's/^\(KAFKA_[A-Za-z0-9_]*\)=.*/\1/p' | sort -u); do
  case $name in
    KAFKA_VERSION | KAFKA_HEAP_OPTS | KAFKA_LOG4J_OPTS | KAFKA_OPTS | KAFKA_JMX_OPTS | \
      KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_LOG4J_ROOT_LOGLEVEL | \
      KAFKA_LOG4J_LOGGERS | KAFKA_TOOLS_LOG4J_LOGLEVEL | KAFKA_JMX_HOSTNAME) continue ;;
  esac
  eval "[ -n \"\${$name+set}\" ]" || continue
  eval "value=\${$name}"
  key=$(echo "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed -e 's/_/./g' -e 's/\.\.\./-/g' -e 's/\.\./_/g')
  printf '%s=%s\n' "$key" "$value" >>"$entries"
done
if [ -f /mnt/shared/config/server.properties ]; then
  { cat /mnt/shared/config/server.properties; echo; cat "$entries"; } >"$config/server.properties"
elif [ -s "$entries" ]; then
  cp "$entries" "$config/server.properties"
else
  cp /etc/kafka/docker/server.properties "$config/server.properties"
fi
rm -f "$entries"
# The data directory inside the container, unless the configuration names one.
grep -q -E '^[[:space:]]*log\.dirs?[[:space:]]*[=:]' "$config/server.properties" ||
  echo "log.dirs=/var/lib/kafka/data" >>"$config/server.properties"

# Logging: the distribution's console configuration (stdout), with the real image's
# KAFKA_LOG4J_ROOT_LOGLEVEL and KAFKA_LOG4J_LOGGERS (logger=LEVEL,...) applied.
if [ -f /etc/kafka/docker/log4j2.properties ]; then
  log4j=$config/log4j2.properties
  cp /etc/kafka/docker/log4j2.properties "$log4j"
  [ -z "${KAFKA_LOG4J_ROOT_LOGLEVEL:-}" ] || echo "rootLogger.level = $KAFKA_LOG4J_ROOT_LOGLEVEL" >>"$log4j"
  n=0
  for logger in $(echo "${KAFKA_LOG4J_LOGGERS:-}" | tr ',' ' '); do
    n=$((n + 1))
    printf 'logger.env%s.name = %s\nlogger.env%s.level = %s\n' "$n" "${logger%%=*}" "$n" "${logger#*=}" >>"$log4j"
  done
  log4j_opts="-Dlog4j2.configurationFile=file:$log4j"
else
  log4j=$config/log4j.properties
  cp /etc/kafka/docker/log4j.properties "$log4j"
  [ -z "${KAFKA_LOG4J_ROOT_LOGLEVEL:-}" ] || echo "log4j.rootLogger=$KAFKA_LOG4J_ROOT_LOGLEVEL, stdout" >>"$log4j"
  for logger in $(echo "${KAFKA_LOG4J_LOGGERS:-}" | tr ',' ' '); do
    echo "log4j.logger.$logger" >>"$log4j"
  done
  log4j_opts="-Dlog4j.configuration=file:$log4j"
fi
log4j_opts=${KAFKA_LOG4J_OPTS:-$log4j_opts}

# The class path in a fixed (sorted) order: `-cp 'libs/*'` expands in directory order, and the
# class-data-sharing archives below are only used with the class path they were made with.
classpath=$(printf '%s:' /opt/kafka/libs/*.jar)
classpath=${classpath%:}
# Class-data-sharing archives, made when the image was built (as the real image's kafka.jsa and
# storage.jsa): they spare each JVM most of the work of loading Kafka's classes. With
# DUMP_CDS_ARCHIVES=1 (the build's own run) they are written, at each JVM's exit, instead.
cds() {
  if [ "${DUMP_CDS_ARCHIVES:-}" = 1 ]; then
    echo "-XX:ArchiveClassesAtExit=/opt/kafka/$1.jsa -Xlog:cds=error,cds+dynamic=error"
  elif [ -f "/opt/kafka/$1.jsa" ]; then
    echo "-XX:SharedArchiveFile=/opt/kafka/$1.jsa"
  fi
}

# Format the storage for CLUSTER_ID; a restarted container finds it formatted already.
echo "===> Using provided cluster id $CLUSTER_ID ..."
set -f
if ! result=$(java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC $(cds storage) $log4j_opts \
  -cp "$classpath" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$config/server.properties" 2>&1); then
  echo "$result" | grep -i "already formatted" || { echo "$result"; exit 1; }
fi

# Start the broker in the foreground, as kafka-server-start.sh would (its JVM options, but a
# smaller default heap).
echo "===> Launching ... "
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true} \
  $(cds kafka) ${KAFKA_GC_LOG_OPTS:-} ${KAFKA_JMX_OPTS:-} $log4j_opts ${KAFKA_OPTS:-} \
  -cp "$classpath" kafka.Kafka "$config/server.properties"
RUN
chmod 755 "$root/etc/kafka/docker/run"

import_image() {
  tar -C "$root" -cf - . | docker import \
    -c 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV JAVA_HOME=/opt/java/openjdk' \
    -c 'WORKDIR /opt/kafka' \
    -c 'EXPOSE 9092' \
    -c 'CMD ["/etc/kafka/docker/run"]' \
    - "$1" >/dev/null
}

# The class-data-sharing archives: import the file system once, run it as a single node with
# DUMP_CDS_ARCHIVES=1 until "Kafka Server started", stop it (the broker exits cleanly on
# SIGTERM, which writes kafka.jsa; the storage format has written storage.jsa), copy both out
# into the file system and import that as the image. The archives hold only this JDK's view
# of these jars (they are checked against the jars' sizes and times, which tar keeps).
# KAFKA_IMAGE_CDS=0 skips this (about 15 s of the build; each broker then starts slower).
if [[ ${KAFKA_IMAGE_CDS:-1} != 0 ]]; then
  draft=$image-draft$$
  dump=kafka-image-cds$$
  trap 'docker rm -f "$dump" >/dev/null 2>&1; docker rmi "$draft" >/dev/null 2>&1; rm -rf "$root"' EXIT
  import_image "$draft"
  docker run -d --name "$dump" -e DUMP_CDS_ARCHIVES=1 "$draft" >/dev/null
  # (grep without -q: under pipefail, a grep leaving early could fail docker logs with SIGPIPE)
  started() { docker logs "$dump" 2>/dev/null | grep -F 'Kafka Server started' >/dev/null; }
  deadline=$((SECONDS + 180))
  until started; do
    if ((SECONDS > deadline)) || [[ $(docker inspect -f '{{.State.Running}}' "$dump") != true ]]; then
      docker logs "$dump" 2>&1 | tail -n 30 >&2
      echo "the broker in $draft did not start (within 180 s)" >&2
      exit 1
    fi
    sleep 0.2
  done
  docker stop -t 60 "$dump" >/dev/null
  for archive in storage kafka; do
    docker cp "$dump:/opt/kafka/$archive.jsa" "$root/opt/kafka/$archive.jsa"
  done
fi
previous=$(docker images -q "$image")
import_image "$image"
# A rebuild leaves the previous image untagged; remove it unless a container still uses it.
if [[ -n $previous && $previous != "$(docker images -q "$image")" ]]; then
  docker rmi "$previous" >/dev/null 2>&1 || true
fi
echo "built $image"
