{{/* Names and labels shared by every template. */}}

{{/* The release's base name: "tars" for release tars, so objects are tars-dashboard-api, ... */}}
{{- define "tars.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tars.api.name" -}}{{ include "tars.fullname" . }}-dashboard-api{{- end -}}
{{- define "tars.postgres.name" -}}{{ include "tars.fullname" . }}-postgres{{- end -}}

{{- define "tars.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tars.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image tag: v<appVersion> unless set. */}}
{{- define "tars.image" -}}
{{- $tag := .Values.image.tag | default (printf "v%s" (trimPrefix "v" .Chart.AppVersion)) -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}

{{/* Labels on every object. The production suite selects app.kubernetes.io/name=tars and
     compares app.kubernetes.io/version with the release version. */}}
{{- define "tars.labels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tars.api.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: dashboard-api
{{- end -}}

{{- define "tars.postgres.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: database
{{- end -}}

{{/* A generated secret value that survives upgrades: the existing one when the Secret is
     already there, else random. */}}
{{- define "tars.secretValue" -}}
{{- $data := dict -}}
{{- $existing := lookup "v1" "Secret" .ns .name -}}
{{- if $existing -}}
{{- $data = $existing.data | default dict -}}
{{- end -}}
{{- if hasKey $data .key -}}
{{- index $data .key -}}
{{- else if .value -}}
{{- .value | b64enc -}}
{{- else -}}
{{- randAlphaNum 48 | b64enc -}}
{{- end -}}
{{- end -}}

{{/* The libpq URL tars serve connects to (the password comes as PGPASSWORD). */}}
{{- define "tars.databaseURL" -}}
{{- if .Values.postgresql.enabled -}}
postgres://{{ .Values.postgresql.user }}@{{ include "tars.postgres.name" . }}:5432/{{ .Values.postgresql.database }}
{{- else -}}
{{- required "externalDatabase.url is required when postgresql.enabled is false" .Values.externalDatabase.url -}}
{{- end -}}
{{- end -}}
