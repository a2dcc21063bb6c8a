// La página explicativa en español. Claves y marcadores iguales a los del
// catálogo inglés (message_catalog_test lo comprueba).
#include "services/decision/web/message_catalog.h"

namespace apptrust::web::catalogs {

namespace {

constexpr Message kMessages[] = {
    {"language.name", "Español"},
    {"language.nav", "Idioma"},

    // "28 de noviembre de 2026 a las 14:35 UTC".
    {"date.format", "{day} de {month} de {year}"},
    {"date.time", "{date} a las {time} UTC"},
    {"month.1", "enero"},
    {"month.2", "febrero"},
    {"month.3", "marzo"},
    {"month.4", "abril"},
    {"month.5", "mayo"},
    {"month.6", "junio"},
    {"month.7", "julio"},
    {"month.8", "agosto"},
    {"month.9", "septiembre"},
    {"month.10", "octubre"},
    {"month.11", "noviembre"},
    {"month.12", "diciembre"},

    {"page.title", "Acceso de la aplicación en pausa: {app}"},
    {"page.eyebrow", "Acceso a su expediente médico"},
    {"page.eyebrow_tenant", "{tenant}: acceso a su expediente médico"},
    {"page.heading", "El acceso de esta aplicación a su expediente médico está en pausa"},
    {"page.intro",
     "Para su protección, {app} ya no puede obtener información nueva de su expediente "
     "médico. El sitio web de la aplicación cambió desde que usted la aprobó, así que no "
     "podemos estar seguros de que siga siendo la aplicación que aprobó. Su expediente médico "
     "no ha cambiado."},
    {"page.app_fallback", "La aplicación"},
    {"why.heading", "Por qué"},
    {"todo.heading", "Qué puede hacer"},
    {"todo.advice",
     "Si todavía usa esta aplicación y confía en ella, revísela y apruébela de nuevo. Si ya no "
     "la usa, o algo en ella le parece incorrecto, elimínela."},
    {"todo.button", "Revisar o eliminar esta aplicación"},
    {"todo.button_note",
     "Se abre, en una ventana nueva, la página donde administra las aplicaciones conectadas a "
     "su expediente médico."},
    {"todo.no_manage_url",
     "Inicie sesión en su expediente médico y abra la lista de aplicaciones conectadas para "
     "aprobar o eliminar esta aplicación."},
    {"todo.until",
     "Hasta que vuelva a aprobarla, la aplicación no puede obtener información nueva de su "
     "expediente médico."},
    {"app.heading", "Qué aplicación"},
    {"app.name", "Aplicación"},
    {"app.website", "Sitio web"},
    {"app.not_recorded", "No registrado"},
    {"app.organization", "Organización"},
    {"app.location", "Ubicación"},
    {"app.label", "Se mostró al aprobarla como"},
    {"label.VALIDATED", "Validada"},
    {"label.IDENTIFIED", "Identificada"},
    {"label.UNKNOWN_APP", "Aplicación desconocida"},
    {"when.heading", "Cuándo"},
    {"when.paused_on", "En pausa desde el {time}."},
    {"when.not_recorded", "No se registró la hora."},
    {"contact.heading", "A quién contactar"},
    {"contact.generic",
     "Si tiene preguntas, comuníquese con el equipo de asistencia de su organización de "
     "atención médica."},
    {"contact.generic_tenant",
     "Si tiene preguntas, comuníquese con el equipo de asistencia de {tenant}."},
    {"contact.support", "Asistencia: {contact}"},
    {"contact.mention", "Mencione el número de referencia que aparece abajo."},
    {"contact.reference", "Número de referencia: {id}"},

    {"reason.generic",
     "El sitio web de la aplicación ya no coincide con lo que mostraba cuando usted la aprobó."},
    {"reason.UNSPECIFIED",
     "El sitio web de la aplicación ya no coincide con lo que mostraba cuando usted la aprobó."},
    {"reason.TLS_CERT_EXPIRED", "El certificado de seguridad del sitio web caducó."},
    {"reason.TLS_CERT_EXPIRED.dated",
     "El certificado de seguridad del sitio web caducó el {date}."},
    {"reason.TLS_CERT_NOT_YET_VALID",
     "El certificado de seguridad del sitio web todavía no es válido."},
    {"reason.TLS_CERT_NOT_YET_VALID.dated",
     "El certificado de seguridad del sitio web no es válido hasta el {date}."},
    {"reason.TLS_CHAIN_UNTRUSTED",
     "Ninguna autoridad de confianza respalda el certificado de seguridad del sitio web."},
    {"reason.TLS_HOSTNAME_MISMATCH",
     "El certificado de seguridad del sitio web se emitió para otro sitio web."},
    {"reason.TLS_PROTOCOL_OUTDATED",
     "El sitio web usa una versión anticuada de las conexiones seguras."},
    {"reason.TLS_CERT_REVOKED",
     "Quien emitió el certificado de seguridad del sitio web lo ha revocado."},
    {"reason.TLS_UNAVAILABLE", "El sitio web no ofrece una conexión segura (cifrada)."},
    {"reason.IDENTITY_CHANGED",
     "Lo que el sitio web muestra sobre quién administra la aplicación cambió desde que usted "
     "la aprobó."},
    {"reason.VALIDATION_DOWNGRADED",
     "El certificado del sitio web ya no verifica la organización que lo administra."},
    {"reason.DNS_TXT_MISSING",
     "El dominio del sitio web ya no confirma que esta aplicación le pertenece."},
    {"reason.DNS_DOMAIN_NOT_FOUND", "El nombre del sitio web ya no lleva a ningún sitio web."},
    {"reason.REDIRECT_DOMAIN_CHANGED",
     "La aplicación ahora lo envía a un sitio web distinto del que usted aprobó."},
    {"reason.ADDRESS_NOT_ALLOWED",
     "El sitio web apunta a una dirección de red a la que no se permite conectarse."},
    {"reason.ALREADY_SUSPENDED", "El acceso de la aplicación ya estaba en pausa."},
    {"reason.CERTIFICATE_CHANGED", "Se reemplazó el certificado de seguridad del sitio web."},
    {"reason.KEY_CHANGED", "Cambió la clave de cifrado del sitio web."},
    {"reason.DNS_TXT_CHANGED",
     "Cambiaron los registros de la aplicación en el dominio del sitio web."},
    {"reason.PROBE_FAILED", "No se pudo comprobar el sitio web de la aplicación en este momento."},
    {"reason.CERT_EXPIRING_SOON", "El certificado de seguridad del sitio web caduca pronto."},
    {"reason.CERT_EXPIRING_SOON.dated",
     "El certificado de seguridad del sitio web caduca el {date}."},
    {"reason.NON_STANDARD_PORT", "El sitio web usa un puerto de red poco habitual."},
    {"reason.DV_CERTIFICATE",
     "El certificado del sitio web no indica qué organización lo administra."},
    {"reason.TXT_RECORD_ABSENT",
     "El dominio del sitio web no confirma que esta aplicación le pertenece."},
    {"reason.NO_TLS", "El sitio web no usa una conexión segura (cifrada)."},
    {"reason.ADDRESSES_CHANGED", "Cambiaron las direcciones de red del sitio web."},
    {"reason.PROBE_LOCAL_ERROR",
     "No se pudo comprobar el sitio web de la aplicación en este momento; inténtelo de nuevo."},

    {"dev.heading", "Para el equipo de desarrollo y de asistencia de la aplicación"},
    {"dev.suspension_id", "Id. de la suspensión"},
    {"dev.error", "Error"},
    {"dev.primary_reason", "Motivo principal"},
    {"dev.error_description", "error_description (OAuth, siempre en inglés)"},
    {"dev.client_id", "Id. de cliente"},
    {"dev.tenant", "Inquilino (tenant)"},
    {"dev.redirect_uri", "URI de redirección"},
    {"dev.suspended_at", "Suspendida el"},
    {"dev.not_recorded", "no registrado"},
    {"dev.changes", "Qué cambió"},
    {"dev.no_findings", "No se registraron hallazgos."},
    {"dev.finding", "{code} ({kind}): {sentence}"},
    {"dev.suspends", "suspende"},
    {"dev.informational", "informativo"},
    {"dev.detail", "Detalle: {detail}"},
    {"dev.checks", "Cómo comprobar su sitio"},
    {"dev.dns",
     "DNS: publique un registro TXT en su dominio registrable (eTLD+1) {name} con el valor "
     "{value}. Varias aplicaciones en un mismo dominio publican una entrada cada una "
     "(registros TXT separados o cadenas separadas). Compruébelo con {command}."},
    {"dev.dns_domain_placeholder", "<su dominio registrable>"},
    {"dev.tls", "Certificado TLS del host del URI de redirección:"},
    {"dev.cert.1",
     "Emitido por una autoridad de certificación de confianza pública (nunca autofirmado), "
     "sirviendo la cadena completa."},
    {"dev.cert.2",
     "De validación de organización (OV) o validación extendida (EV), no de validación de "
     "dominio (DV): solo los certificados OV/EV permiten a los pacientes ver el nombre y la "
     "ubicación de su organización."},
    {"dev.cert.3",
     "Válido hoy: no caducado y no anterior a su fecha de inicio. Renuévelo antes de que "
     "caduque."},
    {"dev.cert.4",
     "Emitido para el nombre de host exacto del URI de redirección (RFC 6125) y no revocado."},
    {"dev.cert.5", "Servido con TLS 1.2 o posterior en el puerto 443."},
    {"dev.cert.6",
     "El mismo nombre y la misma ubicación de la organización que cuando los pacientes "
     "aprobaron la aplicación: un cambio obliga a cada paciente a aprobarla de nuevo."},
    {"dev.closing",
     "Corregir el sitio no levanta esta suspensión por sí solo: el paciente tiene que aprobar "
     "la aplicación de nuevo. Los cambios de certificados o de registros TXT pueden tardar "
     "hasta 12 horas en reconocerse."},

    {"not_found.title", "Página no encontrada"},
    {"not_found.heading", "No encontramos esta página"},
    {"not_found.text.1",
     "Este enlace no lleva a una aplicación en pausa. Puede estar mal escrito, incompleto o no "
     "ser para este sitio."},
    {"not_found.text.2",
     "Si una aplicación le envió aquí, abra la aplicación de nuevo y siga su enlace, o "
     "comuníquese con el equipo de asistencia de su organización de atención médica."},
    {"not_found.json", "No existe esa suspensión."},
    {"unavailable.title", "No disponible temporalmente"},
    {"unavailable.heading", "Esta página no está disponible temporalmente"},
    {"unavailable.text.1",
     "No podemos mostrar los detalles en este momento. Inténtelo de nuevo en unos minutos."},
    {"unavailable.text.2", "Su expediente médico no se ve afectado."},
    {"unavailable.json",
     "No se puede acceder al almacén de suspensiones; inténtelo de nuevo más tarde."},
    {"method.title", "Método no permitido"},
    {"method.heading", "Esta página solo se puede ver"},
    {"method.text.1", "Abra el enlace en un navegador web."},
    {"method.json", "Solo se permiten GET y HEAD."},
};

}  // namespace

absl::Span<const Message> Spanish() { return kMessages; }

}  // namespace apptrust::web::catalogs
