{{/* Labels of every object; `component` is optional. */}}
{{- define "redis-medic.labels" -}}
app.kubernetes.io/name: redis-medic
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/part-of: redis-medic
{{- end }}

{{/* The image reference: the digest pins it when given. */}}
{{- define "redis-medic.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end }}

{{/* APPROVERS: the global list plus each cluster's, without repeats. */}}
{{- define "redis-medic.approvers" -}}
{{- $ids := .Values.approvers -}}
{{- range .Values.clusters }}{{ $ids = concat $ids (.approvers | default list) }}{{ end -}}
{{- $ids | uniq | join "," -}}
{{- end }}

{{/* One cluster's channels (its `channel` and `channels`), comma-separated: its binding in the clusters file. */}}
{{- define "redis-medic.clusterChannels" -}}
{{- $ids := .channels | default list -}}
{{- with .channel }}{{ $ids = prepend $ids . }}{{ end -}}
{{- $ids | uniq | join "," -}}
{{- end }}

{{/* ALLOWED_CHANNELS: allowedChannels, each cluster's channels, and the watch channel (Approve is clicked there). */}}
{{- define "redis-medic.channels" -}}
{{- $ids := .Values.allowedChannels -}}
{{- range .Values.clusters }}{{ with include "redis-medic.clusterChannels" . }}{{ $ids = concat $ids (splitList "," .) }}{{ end }}{{ end -}}
{{- with .Values.watch.channel }}{{ $ids = append $ids . }}{{ end -}}
{{- $ids | uniq | join "," -}}
{{- end }}

{{/* "true" when an approver (global or a cluster's) is a user group (S…): workers then re-resolve it. */}}
{{- define "redis-medic.groupApprovers" -}}
{{- range splitList "," (include "redis-medic.approvers" .) }}{{ if hasPrefix "S" . }}true{{ end }}{{ end -}}
{{- end }}

{{/* The namespaces whose pods bot and workers read, one per line. */}}
{{- define "redis-medic.podNamespaces" -}}
{{- $seen := list -}}
{{- range .Values.clusters }}{{ with .namespace }}{{ $seen = append $seen . }}{{ end }}{{ end -}}
{{- $seen | uniq | join "\n" -}}
{{- end }}

{{/* A Secret key as an environment variable. */}}
{{- define "redis-medic.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key | default .name }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* Probes, preStop, security context and /tmp of bot and workers. */}}
{{- define "redis-medic.podCommon" -}}
livenessProbe:
  httpGet:
    path: /livez
    port: ops
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: ops
  periodSeconds: 5
  failureThreshold: 2
lifecycle:
  preStop:
    exec:
      command: ["sleep", "{{ .Values.preStopSleepSeconds }}"]
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- if gt (len .Values.clusters) 1 }}
  - name: clusters
    mountPath: /etc/redis-medic
    readOnly: true
  {{- end }}
{{- end }}

{{/* Pod-level settings shared by bot and workers. */}}
{{- define "redis-medic.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{- define "redis-medic.volumes" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 16Mi
  {{- if gt (len .Values.clusters) 1 }}
  - name: clusters
    configMap:
      name: redis-medic-clusters
  {{- end }}
{{- end }}

{{/* The Secret keys bot and workers both read: the control Redis, the approval seal, the target's password. */}}
{{- define "redis-medic.sharedSecrets" -}}
{{ include "redis-medic.secretEnv" (dict "name" "CONTROL_REDIS_URL" "secret" .Values.secretName) }}
{{ include "redis-medic.secretEnv" (dict "name" "REDIS_PASSWORD" "secret" .Values.secretName "optional" true) }}
{{ include "redis-medic.secretEnv" (dict "name" "APPROVAL_SECRET" "secret" .Values.secretName) }}
{{- include "redis-medic.clusterPasswords" . }}
{{- end }}

{{/* Each cluster's password key (several clusters), for the env of bot and workers. */}}
{{- define "redis-medic.clusterPasswords" -}}
{{- if gt (len .Values.clusters) 1 }}
{{- range .Values.clusters }}
{{- with .passwordKey }}
{{ include "redis-medic.secretEnv" (dict "name" . "secret" $.Values.secretName "optional" true) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
