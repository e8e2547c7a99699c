# One image for the six services (the container's command picks the service), built in two
# stages so no compiler or pip cache reaches the runtime stage; it runs as a non-root user.
#   docker build -t alpr .                                   # CPU image, every service
#   docker build -t alpr-recognition-gpu --target recognition-gpu .
# Run: uvicorn --factory alpr_<service>.app:create_app --host 0.0.0.0 --port 8080

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# The GPU image's base carries the torch that constraints.txt pins (tests/deploy checks the two
# agree), built for CUDA 13.0 as the pinned wheel is (torch.version.cuda), so the recognition
# stage's pip install keeps the base's torch instead of replacing it with another build.
ARG TORCH_IMAGE=pytorch/pytorch:2.14.1-cuda13.0-cudnn9-runtime

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/alpr
COPY constraints.txt ./
COPY libs/common libs/common
COPY libs/cli libs/cli
COPY services services
RUN /opt/alpr/bin/pip install -c constraints.txt \
      ./libs/common ./libs/cli \
      ./services/ingest ./services/recognition ./services/hotlist \
      ./services/search ./services/audit ./services/sharing

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 alpr \
 && useradd --system --uid 10001 --gid alpr --no-create-home --shell /usr/sbin/nologin alpr
COPY --from=build /opt/alpr /opt/alpr
ENV PATH=/opt/alpr/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LOG_JSON=true
USER 10001:10001
EXPOSE 8080
CMD ["uvicorn", "--factory", "alpr_ingest.app:create_app", "--host", "0.0.0.0", "--port", "8080", "--proxy-headers"]

# Recognition on GPU nodes: the same packages on a CUDA-enabled PyTorch base.
FROM ${TORCH_IMAGE} AS recognition-gpu
RUN groupadd --system --gid 10001 alpr \
 && useradd --system --uid 10001 --gid alpr --no-create-home --shell /usr/sbin/nologin alpr
COPY constraints.txt /tmp/constraints.txt
COPY libs/common /tmp/src/libs/common
COPY libs/cli /tmp/src/libs/cli
COPY services/recognition /tmp/src/services/recognition
RUN pip install --no-cache-dir -c /tmp/constraints.txt /tmp/src/libs/common /tmp/src/libs/cli \
      /tmp/src/services/recognition \
 && rm -rf /tmp/src /tmp/constraints.txt
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LOG_JSON=true
USER 10001:10001
EXPOSE 8080
CMD ["uvicorn", "--factory", "alpr_recognition.app:create_app", "--host", "0.0.0.0", "--port", "8080"]

# The default target is the CPU runtime (recognition included, on CPU).
FROM runtime
