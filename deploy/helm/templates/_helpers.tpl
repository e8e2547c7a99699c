{{/* Chart name, truncated to DNS limits. */}}
{{- define "alpr.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified base name. */}}
{{- define "alpr.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "alpr.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "alpr.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "component" "search"). */}}
{{- define "alpr.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alpr.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "alpr.componentName" -}}
{{- printf "%s-%s" (include "alpr.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "alpr.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "alpr.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image of a component: its own repository/tag/digest when set, else the chart's. A digest
pins the image (repository@sha256:...) and the tag is then ignored. */}}
{{- define "alpr.image" -}}
{{- $svc := index .root.Values.services .component | default dict -}}
{{- $img := $svc.image | default dict -}}
{{- $repo := $img.repository | default .root.Values.image.repository -}}
{{- $digest := $img.digest | default (ternary .root.Values.image.digest "" (empty $img.repository)) -}}
{{- $tag := $img.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if $digest -}}
{{- printf "%s@%s" $repo $digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{- define "alpr.databaseSecret" -}}
{{- default (printf "%s-database" (include "alpr.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}
{{- define "alpr.objectStoreSecret" -}}
{{- default (printf "%s-object-store" (include "alpr.fullname" .)) .Values.objectStore.existingSecret -}}
{{- end -}}
{{- define "alpr.oidcSecret" -}}
{{- default (printf "%s-oidc-clients" (include "alpr.fullname" .)) .Values.oidc.existingSecret -}}
{{- end -}}
{{/* The audit signing key's Secret: named by audit.existingSecret only (schema-required). */}}
{{- define "alpr.auditSecret" -}}
{{- required "audit.existingSecret must name the Secret with the checkpoint signing key" .Values.audit.existingSecret -}}
{{- end -}}

{{/* The environment every container of the platform shares. */}}
{{- define "alpr.commonEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "alpr.databaseSecret" . }}
      key: {{ .Values.database.existingSecretKey }}
- name: S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "alpr.objectStoreSecret" . }}
      key: {{ .Values.objectStore.accessKeyKey }}
- name: S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "alpr.objectStoreSecret" . }}
      key: {{ .Values.objectStore.secretKeyKey }}
{{- end -}}
