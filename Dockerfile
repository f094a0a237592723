FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home --uid 1000 app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps . && chown -R app /app
USER app
ENV DJANGO_SETTINGS_MODULE=factcheck.settings.production
EXPOSE 8000
# A claim search (GET) carries its text in the query string, where an Arabic letter takes 6
# bytes: gunicorn's largest request line (8 kB, against 4 kB by default) fits about 1,300;
# longer texts are POSTed as JSON.
CMD ["gunicorn", "factcheck.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--limit-request-line", "8190"]
