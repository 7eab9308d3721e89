#!/bin/busybox sh
# The demo page: which task answered (the container's hostname and the ECS metadata the
# agent passes in), so requests spread over the tasks show different names.
bb=/bin/busybox
host=$($bb hostname)
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
printf '<!doctype html>\n<title>FargateApp demo</title>\n'
printf '<h1>Hello from the local cloud</h1>\n'
printf '<p>served by task container <b>%s</b></p>\n' "$host"
printf '<ul>\n'
$bb env | $bb grep -E '^(ECS_|AWS_REGION|LOCALCLOUD_)' | $bb sort | while IFS= read -r line; do
  printf '<li><code>%s</code></li>\n' "$line"
done
printf '</ul>\n'
