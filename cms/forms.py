"""The Wagtail editor's document form: a notice's attachment is checked as every upload is
(community.uploads: a real PDF by its content, within size) and stored under a random name."""

from wagtail.documents.forms import BaseDocumentForm

from community import uploads


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file and "file" in self.changed_data:
            kind = uploads.check(file, uploads.DOCUMENT)
            file.name = uploads.random_name(kind)
        return file
