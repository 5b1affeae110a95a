#!/usr/bin/env bash
# Builds the local image `kafka-scenario/nisshi:0.8.1` without a registry: a root filesystem
# holding the installed nisshi binary, its C libraries and a static busybox, imported with
# `docker import`. It mimics what testcontainers' Apache Kafka module expects of
# apache/kafka(-native): a `bash` entrypoint, a shell for its start script, /etc/kafka/docker/run
# reading KAFKA_ADVERTISED_LISTENERS, and "Kafka Server started" on stdout once the broker
# listens. So the container tests run nisshi through the Kafka module's own code path.
set -euo pipefail
image=${1:-kafka-scenario/nisshi:0.8.1}
nisshi=$(command -v nisshi)
busybox=$(command -v busybox)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,usr/bin,etc/kafka/docker,opt/kafka,tmp,lib64}
cp "$nisshi" "$root/bin/nisshi"
cp "$busybox" "$root/bin/busybox"
for applet in sh cat chmod echo sleep env; do ln -s busybox "$root/bin/$applet"; done
ln -s ../../bin/busybox "$root/usr/bin/env"
# The Kafka module starts `bash -c ...`; busybox's sh stands in for it.
printf '#!/bin/sh\nexec /bin/busybox sh "$@"\n' > "$root/bin/bash"
chmod 755 "$root/bin/bash"
# Copy the dynamic libraries nisshi links against, at the paths the loader looks in.
ldd "$nisshi" | grep -o '/[^ ]*' | while read -r library; do
  mkdir -p "$root$(dirname "$library")"
  cp -L "$library" "$root$library"
done
cat > "$root/etc/kafka/docker/run" <<'RUN'
#!/bin/sh
# Starts nisshi where the Kafka module's start script says clients must find it.
advertised=${KAFKA_ADVERTISED_LISTENERS%%,*}
advertised=${advertised#PLAINTEXT://}
/bin/nisshi broker --listener-url tcp://0.0.0.0:9092 --advertised-listener-url "tcp://$advertised" \
  --storage-engine memory://nisshi/ 2>&1 | while read -r line; do
  echo "$line"
  case "$line" in "ready in"*) echo "Kafka Server started" ;; esac
done
RUN
chmod 755 "$root/etc/kafka/docker/run"
tar -C "$root" -cf - . | docker import -c 'ENTRYPOINT ["/bin/nisshi"]' - "$image" >/dev/null
echo "built $image"
