// The extension module ardm._ardm: the C API (src/ardm/api/ardm.h) for Python, each call with
// the GIL released. Failures raise _ardm.Error(status, message); ardm/__init__.py turns them
// into the package's exceptions and holds the numpy-facing API.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/api/ardm.h"

namespace py = pybind11;

namespace {

PyObject* error_type = nullptr;  // _ardm.Error

// Raises _ardm.Error(status, message) unless the call succeeded.
void check(ardm_status s) {
  if (s == ARDM_OK) return;
  py::tuple args = py::make_tuple(static_cast<int>(s), std::string(ardm_last_error()));
  PyErr_SetObject(error_type, args.ptr());
  throw py::error_already_set();
}

struct Options {
  std::string kind, model, method;
  ardm_options o{};
  Options(const py::object& kind_, const py::object& model_, const py::object& method_, int level, int budget,
          int threads) {
    ardm_options_init(&o);
    if (!kind_.is_none()) kind = kind_.cast<std::string>(), o.kind = kind.c_str();
    if (!model_.is_none()) model = model_.cast<std::string>(), o.model = model.c_str();
    if (!method_.is_none()) method = method_.cast<std::string>(), o.method = method.c_str();
    o.level = level, o.budget = budget, o.threads = threads;
  }
};

py::bytes take(ardm_buffer& b) {
  py::bytes out(reinterpret_cast<const char*>(b.data), b.size);
  ardm_buffer_free(&b);
  return out;
}

py::bytes compress(py::buffer data, py::object kind, py::object model, py::object method, int level, int budget,
                   int threads) {
  const py::buffer_info in = data.request();
  if (in.itemsize != 1 || in.ndim > 1 || (in.ndim == 1 && in.strides[0] != 1))
    throw py::type_error("compress takes bytes (a contiguous buffer of bytes)");
  const Options o(kind, model, method, level, budget, threads);
  ardm_buffer b{};
  ardm_status s;
  {
    py::gil_scoped_release unlocked;
    s = ardm_compress(in.ptr, static_cast<size_t>(in.size), &o.o, &b);
  }
  check(s);
  return take(b);
}

// values: a C-contiguous buffer; dtype: ardm_dtype; shape: its dimensions (1..3).
py::bytes compress_array(py::buffer values, int dtype, std::vector<uint64_t> shape, uint32_t sample_rate,
                         py::object kind, py::object model, py::object method, int level, int budget, int threads) {
  const py::buffer_info in = values.request();
  if (shape.empty() || shape.size() > 3) throw py::value_error("an array of 1 to 3 dimensions");
  ardm_array a{};
  a.dtype = static_cast<ardm_dtype>(dtype);
  a.rank = static_cast<int>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) a.shape[i] = shape[i];
  a.values = in.ptr;
  a.sample_rate = sample_rate;
  const Options o(kind, model, method, level, budget, threads);
  ardm_buffer b{};
  ardm_status s;
  {
    py::gil_scoped_release unlocked;
    s = ardm_compress_array(&a, &o.o, &b);
  }
  check(s);
  return take(b);
}

// -> (kind, [file bytes], [(dtype, shape, values bytes, sample rate) or None])
py::tuple decompress(py::buffer data, py::object model, int threads) {
  const py::buffer_info in = data.request();
  if (in.itemsize != 1) throw py::type_error("decompress takes bytes");
  const Options o(py::none(), model, py::none(), 0, 0, threads);
  ardm_data* d = nullptr;
  ardm_status s;
  {
    py::gil_scoped_release unlocked;
    s = ardm_decompress(in.ptr, static_cast<size_t>(in.size), &o.o, &d);
  }
  check(s);
  std::unique_ptr<ardm_data, void (*)(ardm_data*)> owned(d, ardm_data_free);
  py::list files, arrays;
  for (size_t i = 0; i < ardm_data_count(d); ++i) {
    const uint8_t* p = nullptr;
    size_t n = 0;
    check(ardm_data_file(d, i, &p, &n));
    files.append(py::bytes(reinterpret_cast<const char*>(p), n));
    ardm_array a{};
    if (ardm_data_array(d, i, &a) != ARDM_OK) {
      arrays.append(py::none());
      continue;
    }
    std::vector<uint64_t> shape(a.shape, a.shape + a.rank);
    uint64_t count = 1;
    for (auto v : shape) count *= v;
    const size_t bytes = static_cast<size_t>(count) * (a.dtype == ARDM_UINT8 ? 1 : 2);
    arrays.append(py::make_tuple(static_cast<int>(a.dtype), shape,
                                 py::bytes(static_cast<const char*>(a.values), bytes), a.sample_rate));
  }
  return py::make_tuple(std::string(ardm_data_kind(d)), files, arrays);
}

class Model {
 public:
  Model(const std::string& path, int threads) {
    ardm_model* m = nullptr;
    ardm_status s;
    {
      py::gil_scoped_release unlocked;
      s = ardm_model_open(path.c_str(), threads, &m);
    }
    check(s);
    m_.reset(m);
    check(ardm_model_get_info(m, &info_));
  }
  py::dict info() const {
    py::dict d;
    d["kind"] = std::string(info_.kind);
    d["values"] = info_.values, d["classes"] = info_.classes, d["stages"] = info_.stages;
    d["context"] = info_.context;
    d["shape"] = std::vector<int64_t>(info_.shape, info_.shape + info_.rank);
    d["fingerprint"] = info_.fingerprint;
    return d;
  }
  // values: items * D uint16 values -> bits per item (bytes of float64)
  py::bytes code_length(py::buffer values, size_t items, int64_t budget) const {
    const py::buffer_info in = values.request();
    if (in.itemsize != 2 || static_cast<size_t>(in.size) != items * static_cast<size_t>(info_.values))
      throw py::value_error("code_length: items x D uint16 values");
    std::vector<double> bits(items);
    ardm_status s;
    {
      py::gil_scoped_release unlocked;
      s = ardm_model_code_length(m_.get(), static_cast<const uint16_t*>(in.ptr), items, budget, bits.data());
    }
    check(s);
    return py::bytes(reinterpret_cast<const char*>(bits.data()), bits.size() * sizeof(double));
  }
  py::tuple schedule(int64_t budget) const {
    std::vector<int64_t> steps(static_cast<size_t>(budget > 0 ? budget : 1));
    size_t count = 0;
    double predicted = 0;
    ardm_status s;
    {
      py::gil_scoped_release unlocked;
      s = ardm_model_schedule(m_.get(), budget, steps.data(), steps.size(), &count, &predicted);
    }
    check(s);
    steps.resize(count);
    return py::make_tuple(steps, predicted);
  }
  py::bytes sample(size_t items, int64_t budget, uint64_t seed) const {
    std::vector<uint16_t> out(items * static_cast<size_t>(info_.values));
    ardm_status s;
    {
      py::gil_scoped_release unlocked;
      s = ardm_model_sample(m_.get(), items, budget, seed, out.data());
    }
    check(s);
    return py::bytes(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(uint16_t));
  }

 private:
  std::unique_ptr<ardm_model, void (*)(ardm_model*)> m_{nullptr, ardm_model_free};
  ardm_model_info info_{};
};

}  // namespace

PYBIND11_MODULE(_ardm, m) {
  m.doc() = "ardm's C API (ardm.h); use the ardm package, not this module";
  error_type = PyErr_NewException("ardm._ardm.Error", PyExc_Exception, nullptr);
  m.attr("Error") = py::handle(error_type);
  m.attr("UINT8") = static_cast<int>(ARDM_UINT8);
  m.attr("UINT16") = static_cast<int>(ARDM_UINT16);
  m.attr("INT16") = static_cast<int>(ARDM_INT16);
  m.def("version", [] { return std::string(ardm_version()); });
  m.def("set_models_dir", [](const std::string& dir) { check(ardm_set_models_dir(dir.c_str())); });
  m.def("bundled_model", [](const std::string& kind) {
    const char* path = nullptr;
    check(ardm_bundled_model(kind.c_str(), &path));
    return std::string(path);
  });
  m.def("compress", &compress, py::arg("data"), py::arg("kind"), py::arg("model"), py::arg("method"),
        py::arg("level"), py::arg("budget"), py::arg("threads"));
  m.def("compress_array", &compress_array, py::arg("values"), py::arg("dtype"), py::arg("shape"),
        py::arg("sample_rate"), py::arg("kind"), py::arg("model"), py::arg("method"), py::arg("level"),
        py::arg("budget"), py::arg("threads"));
  m.def("decompress", &decompress, py::arg("data"), py::arg("model"), py::arg("threads"));
  py::class_<Model>(m, "Model")
      .def(py::init<const std::string&, int>(), py::arg("path"), py::arg("threads"))
      .def("info", &Model::info)
      .def("code_length", &Model::code_length)
      .def("schedule", &Model::schedule)
      .def("sample", &Model::sample);
}
