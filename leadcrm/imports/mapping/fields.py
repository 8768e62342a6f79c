"""Step 3: the lead-field catalogue, the automatic mapping of CSV headers, and the check of a mapping."""
import re

# Lead fields in the order the mapping dropdowns show them, with the labels of the spec.
FIELDS = {
    "first_name": "First Name",
    "last_name": "Last Name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "status": "Status",
    "source": "Source",
    "lead_score": "Score",
    "deal_value": "Deal Value",
    "tags": "Tags",
    "notes": "Notes",
}
DO_NOT_IMPORT = ""
DO_NOT_IMPORT_LABEL = "Do not import"

# Header spellings seen in CRM and spreadsheet exports (English, then German, French and Spanish, whose
# Excel exports are common), compared after header_key().
ALIASES = {
    "first_name": ["firstname", "first", "givenname", "forename", "fname", "vorname", "prénom", "prenom", "nombre"],
    "last_name": ["lastname", "last", "surname", "familyname", "lname", "nachname", "familienname", "nom",
                  "apellido", "apellidos"],
    "email": ["email", "emailaddress", "mail", "emailid", "workemail", "businessemail", "primaryemail",
              "emailadresse", "courriel", "adresseemail", "correo", "correoelectrónico", "correoelectronico"],
    "phone": ["phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "cell", "cellphone",
              "mobilenumber", "workphone", "businessphone", "telefon", "telefonnummer", "handy", "téléphone",
              "portable", "teléfono", "telefono", "móvil", "movil"],
    "company": ["company", "companyname", "organization", "organisation", "org", "account", "accountname",
                "business", "employer", "firma", "unternehmen", "société", "societe", "entreprise", "empresa"],
    "status": ["status", "leadstatus", "stage", "leadstage", "statut", "estado"],
    "source": ["source", "leadsource", "origin", "channel", "utmsource", "quelle", "herkunft", "origine", "fuente",
               "origen"],
    "lead_score": ["leadscore", "score", "rating", "bewertung", "punktzahl", "puntuación", "puntuacion"],
    "deal_value": ["dealvalue", "amount", "value", "dealamount", "dealsize", "revenue", "opportunityvalue",
                   "expectedrevenue", "betrag", "wert", "umsatz", "montant", "valeur", "importe", "valor"],
    "tags": ["tags", "tag", "labels", "label", "categories", "keywords", "schlagwörter", "schlagworte",
             "étiquettes", "etiquettes", "etiquetas"],
    "notes": ["notes", "note", "comments", "comment", "description", "remarks", "notizen", "bemerkungen",
              "kommentar", "remarques", "notas", "comentarios"],
}
_ALIAS_TO_FIELD = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
_SEPARATORS = re.compile(r"[\s_\-.]+")


def header_key(column: str) -> str:
    """Case-insensitive, ignoring spaces, underscores, hyphens and dots: 'E-mail' and 'email' meet."""
    return _SEPARATORS.sub("", column).casefold()


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Map each column to the lead field its name suggests; the first column wins a field; others: Do not import."""
    mapping, taken = {}, set()
    for column in header:
        field = _ALIAS_TO_FIELD.get(header_key(column), DO_NOT_IMPORT)
        if field in taken:
            field = DO_NOT_IMPORT
        taken.add(field)
        mapping[column] = field
    return mapping


def mapping_problems(mapping: dict[str, str]) -> list[str]:
    """What is wrong with a mapping, as messages that say how to fix it; empty when it can be used."""
    problems = [f"Column {column!r} is mapped to an unknown field {field!r}."
                for column, field in mapping.items() if field and field not in FIELDS]
    columns_of = _columns_of(mapping)
    for field, columns in columns_of.items():
        if len(columns) > 1:
            names = " and ".join(repr(c) for c in columns)
            problems.append(
                f"{FIELDS[field]} is chosen for more than one column ({names}). "
                f"A lead field takes one column: set the others to {DO_NOT_IMPORT_LABEL!r}."
            )
    if not columns_of and not problems:
        problems.append("No column is mapped to a lead field. Choose a field for at least one column.")
    return problems


def column_problems(mapping: dict[str, str]) -> dict[str, str]:
    """The problem of each column that shares its lead field with another, to show next to its dropdown."""
    problems = {}
    for field, columns in _columns_of(mapping).items():
        for column in columns if len(columns) > 1 else ():
            others = " and ".join(repr(other) for other in columns if other != column)
            problems[column] = (f"{FIELDS[field]} is also chosen for {others}. "
                                f"Keep it on one column: set the others to {DO_NOT_IMPORT_LABEL!r}.")
    return problems


def _columns_of(mapping: dict[str, str]) -> dict[str, list[str]]:
    """The columns mapped to each known lead field, in file order."""
    columns_of = {}
    for column, field in mapping.items():
        if field in FIELDS:
            columns_of.setdefault(field, []).append(column)
    return columns_of
